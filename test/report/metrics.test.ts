// The Prometheus exposition: families with HELP and TYPE, one series per root cause entity and finding, the
// numbers behind findings, label values escaped; written atomically for the textfile collector and pushed to a
// Pushgateway, with failures as one line that never shows credentials.

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { escapeLabelValue, renderFamilies } from '../../src/report/metrics.ts';
import { groupingSegment } from '../../src/report/publish.ts';
import { run } from '../helpers/cli.ts';

const INCIDENT = 'samples/home-assistant-websocket-drops';
const HA = 'httproute/home/home-assistant-app/rule/0';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses exposition text, checking that every family's HELP and TYPE come before its samples. */
function parseExposition(text: string): { samples: Sample[]; families: string[] } {
  const samples: Sample[] = [];
  const families: string[] = [];
  const typed = new Set<string>();
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    const help = /^# HELP (\w+) \S/.exec(line);
    if (help) {
      families.push(help[1] as string);
      continue;
    }
    const type = /^# TYPE (\w+) (gauge|counter)$/.exec(line);
    if (type) {
      assert.equal(type[1], families[families.length - 1], 'TYPE follows its HELP');
      typed.add(type[1] as string);
      continue;
    }
    const m = /^(\w+)(\{.*\})? (\S+)$/.exec(line);
    assert.ok(m, `sample line: ${line}`);
    const name = m[1] as string;
    assert.ok(typed.has(name), `${name} has HELP and TYPE before its samples`);
    assert.equal(name, families[families.length - 1], `${name} samples are grouped`);
    samples.push({ name, labels: parseLabels(m[2] ?? ''), value: Number(m[3]) });
  }
  return { samples, families };
}

/** Parses `{a="x",b="y\"z"}` with the exposition format's escapes. */
function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 1;
  while (i < text.length - 1) {
    const eq = text.indexOf('="', i);
    const key = text.slice(i, eq);
    let value = '';
    let j = eq + 2;
    for (; text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        j++;
        value += text[j] === 'n' ? '\n' : text[j];
      } else value += text[j];
    }
    out[key] = value;
    i = j + 2;
  }
  return out;
}

function find(samples: Sample[], name: string, labels: Record<string, string>): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

describe('label values', () => {
  const cases: Array<[string, string]> = [
    ['plain', 'plain'],
    ['back\\slash', 'back\\\\slash'],
    ['say "hi"', 'say \\"hi\\"'],
    ['two\nlines', 'two\\nlines'],
    ['all \\ " \n', 'all \\\\ \\" \\n'],
    ['<script>alert(1)</script>', '<script>alert(1)</script>'],
  ];
  for (const [input, want] of cases) {
    it(`escapes ${JSON.stringify(input)}`, () => assert.equal(escapeLabelValue(input), want));
    it(`round-trips ${JSON.stringify(input)} through a sample line`, () => {
      const text = renderFamilies([{ name: 'm', help: 'h', type: 'gauge', samples: [{ labels: { entity: input, kind: 'x' }, value: 1 }] }]);
      assert.deepEqual(parseExposition(text).samples[0]?.labels, { entity: input, kind: 'x' });
    });
  }
  it('drops a repeated label set, which the format forbids', () => {
    const text = renderFamilies([
      {
        name: 'm',
        help: 'h',
        type: 'gauge',
        samples: [
          { labels: { a: '1' }, value: 1 },
          { labels: { a: '1' }, value: 1 },
        ],
      },
    ]);
    assert.equal(parseExposition(text).samples.length, 1);
  });
});

describe('--metrics-file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-metrics-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the root causes, findings and their numbers, and keeps the exit code of the diagnosis', async () => {
    const file = join(dir, 'envoy_doctor.prom');
    const t0 = Math.floor(Date.now() / 1000);
    const r = await run(['analyze', INCIDENT, '-o', 'json', '--metrics-file', file]);
    const t1 = Math.ceil(Date.now() / 1000);
    assert.equal(r.code, 79);
    assert.equal(r.stderr, '');
    const report = JSON.parse(r.stdout) as { findings: unknown[]; rootCauses: Array<{ id: string; entities: unknown[] }> };
    const { samples, families } = parseExposition(await readFile(file, 'utf8'));
    assert.deepEqual(families, [
      'envoy_doctor_root_cause',
      'envoy_doctor_root_cause_score',
      'envoy_doctor_root_causes',
      'envoy_doctor_findings',
      'envoy_doctor_finding_evidence',
      'envoy_doctor_proxies',
      'envoy_doctor_run_timestamp_seconds',
    ]);

    const rc = find(samples, 'envoy_doctor_root_cause', {});
    assert.equal(
      rc.length,
      report.rootCauses.reduce((a, x) => a + x.entities.length, 0),
    );
    assert.deepEqual(find(samples, 'envoy_doctor_root_cause', { id: 'flow-control-stall', entity_kind: 'cluster' })[0]?.labels, {
      id: 'flow-control-stall',
      severity: 'error',
      confidence: 'high',
      proxy: 'home-assistant-websocket-drops',
      namespace: '',
      entity_kind: 'cluster',
      entity: HA,
    });
    assert.equal(find(samples, 'envoy_doctor_root_cause_score', { id: 'missing-tcp-keepalive' })[0]?.value, 0.65);
    const counts = Object.fromEntries(find(samples, 'envoy_doctor_root_causes', {}).map((s) => [s.labels.severity, s.value]));
    assert.deepEqual(counts, { error: 1, warning: 2, info: 0 });
    assert.equal(
      find(samples, 'envoy_doctor_findings', {}).reduce((a, x) => a + x.value, 0),
      report.findings.length,
      'every finding counted once',
    );
    // Two bands of sessions on one route: counted together, their numbers told apart by index.
    const bands = find(samples, 'envoy_doctor_findings', { code: 'upgraded-sessions-end-together' });
    assert.deepEqual(
      bands.map((b) => b.value),
      [2],
    );
    const lows = find(samples, 'envoy_doctor_finding_evidence', { code: 'upgraded-sessions-end-together', key: 'lowMs' }).map((x) => [x.labels.index, x.value]);
    assert.deepEqual(lows.sort(), [
      ['0', 8006],
      ['1', 83646],
    ]);

    const evidence: Array<[string, string, string, number]> = [
      ['upstream-reads-paused', HA, 'paused', 1242],
      ['upstream-reads-paused', HA, 'resumed', 1221],
      ['upstream-bytes-buffered', HA, 'bufferedBytes', 469871],
      ['upstream-bytes-buffered', HA, 'limitBytes', 32768],
      ['downstream-reads-paused', 'https-10443', 'paused', 216],
    ];
    for (const [code, entity, key, value] of evidence) {
      assert.equal(find(samples, 'envoy_doctor_finding_evidence', { code, entity, key })[0]?.value, value, `${code} ${key}`);
    }
    assert.equal(find(samples, 'envoy_doctor_proxies', { state: 'collected' })[0]?.value, 1);
    assert.equal(find(samples, 'envoy_doctor_proxies', { state: 'not_collected' })[0]?.value, 0);
    const ts = find(samples, 'envoy_doctor_run_timestamp_seconds', {})[0]?.value ?? 0;
    assert.ok(ts >= t0 && ts <= t1, `run timestamp ${ts} within the run`);
  });

  it('replaces an existing file by renaming a new one over it, leaving no temporary file', async () => {
    const file = join(dir, 'replaced.prom');
    await writeFile(file, 'old\n');
    const before = await stat(file);
    const r = await run(['analyze', 'samples/healthy', '--metrics-file', file]);
    assert.equal(r.code, 0, r.stderr);
    const now = await stat(file);
    assert.notEqual(now.ino, before.ino, 'a new file was renamed into place');
    assert.match(await readFile(file, 'utf8'), /^# HELP envoy_doctor_root_cause /);
    assert.deepEqual(
      (await readdir(dir)).filter((f) => !f.endsWith('.prom')),
      [],
    );
  });

  it('a missing directory: one line, exit 74, the report still printed', async () => {
    const r = await run(['analyze', 'samples/healthy', '--metrics-file', join(dir, 'nope', 'x.prom')]);
    assert.equal(r.code, 74);
    assert.match(r.stderr, /^envoy-doctor: --metrics-file .*nope\/x\.prom: directory .*nope does not exist\n$/);
    assert.match(r.stdout, /No root cause found/);
  });
});

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('--push', () => {
  let server: Server;
  let base: string;
  const recorded: Recorded[] = [];
  let answer: 'ok' | 'error' | 'hang' = 'ok';
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-push-'));
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        recorded.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        if (answer === 'hang') return;
        if (answer === 'error') {
          res.writeHead(500).end('pushed metrics are invalid or inconsistent\nsecond line');
          return;
        }
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('PUTs the same exposition as the file to /metrics/job/envoy_doctor/instance/<name>, with Basic auth from the URL', async () => {
    recorded.length = 0;
    answer = 'ok';
    const file = join(dir, 'same.prom');
    const r = await run([
      'analyze',
      INCIDENT,
      '--fail-on',
      'none',
      '--metrics-file',
      file,
      '--push',
      `http://ops:s3cret@${base}/`,
      '--push-instance',
      'prod-eu',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(recorded.length, 1);
    const req = recorded[0] as Recorded;
    assert.equal(req.method, 'PUT');
    assert.equal(req.url, '/metrics/job/envoy_doctor/instance/prod-eu');
    assert.equal(req.headers.authorization, `Basic ${Buffer.from('ops:s3cret').toString('base64')}`);
    assert.match(req.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
    assert.equal(req.body, await readFile(file, 'utf8'));
  });

  const paths: Array<[string, string[], string]> = [
    ['no instance', [], '/metrics/job/envoy_doctor'],
    ['a path prefix in the URL', ['--push-instance', 'a'], '/prefix/metrics/job/envoy_doctor/instance/a'],
    ['an instance with a slash', ['--push-instance', 'eu/west'], `/metrics/job/envoy_doctor/instance@base64/${Buffer.from('eu/west').toString('base64url')}`],
  ];
  for (const [what, extra, want] of paths) {
    it(`grouping path: ${what}`, async () => {
      recorded.length = 0;
      answer = 'ok';
      const url = what.includes('prefix') ? `http://${base}/prefix` : `http://${base}`;
      const r = await run(['analyze', 'samples/healthy', '--push', url, ...extra]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(recorded[0]?.url, want);
    });
  }
  it('an empty instance is base64-encoded as the Pushgateway expects', () => {
    assert.equal(groupingSegment('instance', ''), '/instance@base64/=');
  });

  it('a Pushgateway error: one line with the status, exit 74, no credentials', async () => {
    recorded.length = 0;
    answer = 'error';
    const r = await run(['analyze', 'samples/healthy', '--push', `http://ops:s3cret@${base}/?token=abc`]);
    assert.equal(r.code, 74);
    assert.equal(r.stderr.split('\n').length, 2, 'one line');
    assert.match(
      r.stderr,
      /^envoy-doctor: --push http:\/\/127\.0\.0\.1:\d+\/metrics\/job\/envoy_doctor: Pushgateway answered HTTP 500: pushed metrics are invalid/,
    );
    assert.doesNotMatch(r.stderr, /s3cret|ops:|token/);
  });

  it('no answer within --push-timeout: one line, exit 74', async () => {
    answer = 'hang';
    const r = await run(['analyze', 'samples/healthy', '--push', `http://${base}`, '--push-timeout', '300ms']);
    assert.equal(r.code, 74);
    assert.match(r.stderr, /^envoy-doctor: --push http:\/\/127\.0\.0\.1:\d+\/metrics\/job\/envoy_doctor: no answer within 0\.3s\n$/);
    server.closeAllConnections();
  });

  it('nothing listening: one line, exit 74', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await run(['analyze', 'samples/healthy', '--push', `http://127.0.0.1:${port}`]);
    assert.equal(r.code, 74);
    assert.match(r.stderr, /connection refused\n$/);
  });

  it('not an http URL: usage error 64 before anything is read, without echoing the URL', async () => {
    const r = await run(['analyze', 'samples/does-not-exist', '--push', 'ftp://ops:s3cret@example.com']);
    assert.equal(r.code, 64);
    assert.equal(r.stderr, 'envoy-doctor: --push: expected an http or https URL, got ftp:\n');
  });
});
