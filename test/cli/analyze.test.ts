import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { ROOT, run, runBin } from '../helpers/cli.ts';

const INCIDENT = 'samples/home-assistant-websocket-drops';
const HEALTHY = 'samples/healthy';
const HA = 'httproute/home/home-assistant-app/rule/0';

interface Report {
  schemaVersion: number;
  snapshots: Array<{ id: string; flavor: string; intervalSeconds: number | null }>;
  findings: Array<{ code: string; severity: string; entity: { kind: string; name: string }; evidence: Record<string, unknown> }>;
  rootCauses: Array<{
    id: string;
    severity: string;
    confidence: string;
    entities: Array<{ kind: string; name: string }>;
    ruledOut: Array<{ hypothesis: string; evidence: Record<string, unknown> }>;
    fixes: Array<{ flavor: string; target: string; text: string }>;
  }>;
  summary: { exitCode: number };
}

async function json(args: string[]): Promise<{ code: number; report: Report }> {
  const r = await run([...args, '-o', 'json']);
  assert.equal(r.stderr, '');
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

describe('analyze: the reference incident', () => {
  it('names flow-control-stall first, on the Home Assistant cluster, and exits 79', async () => {
    const { code, report } = await json(['analyze', INCIDENT]);
    assert.equal(code, 79);
    assert.equal(report.summary.exitCode, 79);
    assert.equal(report.snapshots[0]?.flavor, 'envoy-gateway');
    assert.equal(report.snapshots[0]?.intervalSeconds, 30, 'interval from the bundle manifest');
    const first = report.rootCauses[0];
    assert.equal(first?.id, 'flow-control-stall');
    assert.equal(first?.severity, 'error');
    assert.equal(first?.confidence, 'high');
    assert.deepEqual(first?.entities[0], { kind: 'cluster', name: HA });
    assert.ok(report.rootCauses.some((r) => r.id === 'missing-tcp-keepalive'));
    const overridden = report.rootCauses.find((r) => r.id === 'policy-overridden');
    assert.deepEqual(
      overridden?.entities.map((e) => e.name),
      ['home/home-assistant-app', 'BackendTrafficPolicy home/gateway-defaults', 'BackendTrafficPolicy home/home-assistant-timeouts'],
    );
  });

  it('rules out the competing timers and limits with the numbers that rule them out', async () => {
    const { report } = await json(['analyze', INCIDENT]);
    const ruledOut = Object.fromEntries((report.rootCauses[0]?.ruledOut ?? []).map((r) => [r.hypothesis, r.evidence]));
    assert.deepEqual(Object.keys(ruledOut).sort(), [
      'circuit-breaker-saturation',
      'connection-max-duration',
      'route-timeout-on-upgrade',
      'stream-idle-timeout',
      'websocket-upgrade-disabled',
    ]);
    assert.equal(ruledOut['stream-idle-timeout']?.downstreamRqIdleTimeout, 0);
    assert.equal(ruledOut['stream-idle-timeout']?.streamIdleTimeoutMs, 300000);
    assert.equal(ruledOut['circuit-breaker-saturation']?.cxOpen, 0);
  });

  it("the stall raises the listener's limit (a ClientTrafficPolicy); the keepalive patches the route-level BackendTrafficPolicy that wins", async () => {
    const { report } = await json(['analyze', INCIDENT]);
    const stall = report.rootCauses[0]?.fixes ?? [];
    // The cluster's limit does not move the pause (docs/lab.md): no BackendTrafficPolicy for the stall.
    assert.ok(!stall.some((f) => f.target.startsWith('BackendTrafficPolicy')));
    const fixes = [...stall, ...(report.rootCauses.find((r) => r.id === 'missing-tcp-keepalive')?.fixes ?? [])];
    const btpFix = fixes.find((f) => f.target === 'BackendTrafficPolicy home/home-assistant-timeouts');
    assert.equal(btpFix?.target, 'BackendTrafficPolicy home/home-assistant-timeouts', 'the existing winner, not a second policy');
    const btp = parse(btpFix?.text ?? '{}');
    assert.equal(btp.kind, 'BackendTrafficPolicy');
    assert.deepEqual(btp.spec.targetRefs, [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'home-assistant-app' }]);
    assert.equal(btp.metadata.namespace, 'home');
    assert.deepEqual(btp.spec.timeout, { http: { requestTimeout: '0s' } }, 'its own fields kept');
    assert.equal(btp.spec.connection, undefined);
    assert.deepEqual(btp.spec.tcpKeepalive, { probes: 3, idleTime: '60s', interval: '20s' });
    const ctp = parse(fixes.find((f) => f.target.startsWith('ClientTrafficPolicy'))?.text ?? '{}');
    assert.deepEqual(ctp.spec.targetRefs, [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'eg', sectionName: 'https' }]);
    assert.equal(ctp.spec.connection.bufferLimit, '1Mi');
    assert.ok(stall.some((f) => f.flavor === 'envoy' && f.target === 'listener home/eg/https'));
    assert.ok(fixes.some((f) => f.flavor === 'envoy' && f.target === `cluster ${HA}`));
  });

  it('the same diagnosis from stats alone in each format', async () => {
    for (const stats of [
      'samples/home-assistant-websocket-drops/stats.txt',
      'test/fixtures/formats/home-assistant.stats.json',
      'test/fixtures/formats/home-assistant.stats.prom',
    ]) {
      const { code, report } = await json(['analyze', '--config-dump', `${INCIDENT}/config_dump.json`, '--stats', stats]);
      assert.equal(code, 79, stats);
      assert.equal(report.rootCauses[0]?.id, 'flow-control-stall', stats);
      assert.deepEqual(report.rootCauses[0]?.entities[0], { kind: 'cluster', name: HA }, stats);
    }
  });

  it("from egctl's camelCase dump, as JSON and as YAML", async () => {
    for (const dump of ['test/fixtures/formats/home-assistant.egctl.json', 'test/fixtures/formats/home-assistant.egctl.yaml']) {
      const { report } = await json(['analyze', '--config-dump', dump, '--stats', `${INCIDENT}/stats.txt`]);
      assert.equal(report.rootCauses[0]?.id, 'flow-control-stall', dump);
    }
  });

  it('an egctl file with two pods is two snapshots; stats then need --pod', async () => {
    const both = await json(['analyze', '--config-dump', 'test/fixtures/formats/two-pods.egctl.json']);
    assert.equal(both.report.snapshots.length, 2);
    const ambiguous = await run(['analyze', '--config-dump', 'test/fixtures/formats/two-pods.egctl.json', '--stats', `${INCIDENT}/stats.txt`]);
    assert.equal(ambiguous.code, 64);
    assert.match(ambiguous.stderr, /holds 2 proxies .* pick it with --pod NAME\n$/);
    const picked = await json([
      'analyze',
      '--config-dump',
      'test/fixtures/formats/two-pods.egctl.json',
      '--stats',
      `${INCIDENT}/stats.txt`,
      '--pod',
      both.report.snapshots[1]?.id ?? '',
    ]);
    assert.equal(picked.report.snapshots.length, 1);
    assert.equal(picked.report.rootCauses[0]?.id, 'flow-control-stall');
  });

  it('a second sample makes the window evidence: pauses without resumes during it', async () => {
    const { report } = await json(['analyze', INCIDENT]);
    const paused = report.findings.find((f) => f.code === 'upstream-reads-paused' && f.entity.name === HA);
    assert.equal(paused?.severity, 'error');
    assert.ok(Number(paused?.evidence.windowPaused) > Number(paused?.evidence.windowResumed));
  });
});

describe('analyze: a healthy proxy', () => {
  it('exits 0 with no root cause', async () => {
    const { code, report } = await json(['analyze', HEALTHY]);
    assert.equal(code, 0);
    assert.deepEqual(report.rootCauses, []);
    assert.deepEqual(
      report.findings.filter((f) => f.severity !== 'info'),
      [],
    );
  });
});

describe('the table report', () => {
  it('summary first, then root causes, within 100 columns when piped, no colour when not a terminal', async () => {
    const r = await run(['analyze', INCIDENT]);
    assert.equal(r.code, 79);
    const lines = r.stdout.split('\n');
    for (const l of lines) assert.ok(l.length <= 100, `line longer than 100: ${l}`);
    assert.ok(r.stdout.indexOf('SUMMARY') < r.stdout.indexOf('ROOT CAUSES'));
    assert.ok(r.stdout.indexOf('flow-control-stall') < r.stdout.indexOf('missing-tcp-keepalive'));
    assert.doesNotMatch(r.stdout, /\u001b\[/);
    assert.match(r.stdout, /kind: BackendTrafficPolicy/);
    assert.match(r.stdout, /kind: ClientTrafficPolicy/);
  });
  it('colour on a terminal, never with NO_COLOR', async () => {
    assert.match((await run(['analyze', INCIDENT], { isTTY: true })).stdout, /\u001b\[31m/);
    assert.doesNotMatch((await run(['analyze', INCIDENT], { isTTY: true, env: { NO_COLOR: '1' } })).stdout, /\u001b\[/);
    assert.doesNotMatch((await run(['analyze', INCIDENT, '--no-color'], { isTTY: true })).stdout, /\u001b\[/);
  });
});

describe('exit codes and errors', () => {
  const cases: Array<[string, string[], number, RegExp]> = [
    ['no input at all', ['analyze'], 64, /^envoy-doctor: nothing to analyze/],
    ['an unknown option', ['analyze', INCIDENT, '--frobnicate'], 64, /unknown option '--frobnicate'/],
    [
      'a malformed interval',
      ['analyze', '--stats', `${INCIDENT}/stats.txt`, '--stats-later', `${INCIDENT}/stats.later.txt`, '--interval', 'soon'],
      64,
      /expected a duration/,
    ],
    [
      'a second sample without an interval',
      ['analyze', '--stats', `${INCIDENT}/stats.txt`, '--stats-later', `${INCIDENT}/stats.later.txt`],
      64,
      /--stats-later needs --interval/,
    ],
    ['a missing file', ['analyze', '--config-dump', 'nope.json'], 65, /^envoy-doctor: nope\.json: cannot read: no such file\n$/],
    ['a directory that is no bundle', ['analyze', 'docs'], 65, /^envoy-doctor: docs: holds neither config_dump/],
    [
      'stats given as the config dump',
      ['analyze', '--config-dump', `${INCIDENT}/stats.txt`],
      65,
      /stats\.txt: Envoy \/stats text; expected an Envoy \/config_dump/,
    ],
    ['a config dump given as stats', ['analyze', '--stats', `${INCIDENT}/config_dump.json`], 65, /config_dump\.json: JSON without a stats\[\] array/],
  ];
  for (const [name, args, code, message] of cases) {
    it(`${name}: exit ${code} with a one-line message`, async () => {
      const r = await run(args);
      assert.equal(r.code, code);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\bat .+:\d+:\d+/, 'no stack trace');
    });
  }
  it('--fail-on warning turns warnings into exit 79; --fail-on none always exits 0', async () => {
    assert.equal((await run(['analyze', INCIDENT, '--fail-on', 'none'])).code, 0);
    assert.equal((await run(['analyze', HEALTHY, '--fail-on', 'info'])).code, 79);
  });
});

describe('the installed command', () => {
  it('runs from bin/ and reads a config dump from standard input', () => {
    const dump = readFileSync(`${ROOT}/${INCIDENT}/config_dump.json`, 'utf8');
    const r = runBin(['analyze', '--config-dump', '-', '--stats', `${INCIDENT}/stats.txt`, '-o', 'json'], dump);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 79);
    assert.equal((JSON.parse(r.stdout) as Report).rootCauses[0]?.id, 'flow-control-stall');
  });
  it('prints its version', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string };
    const r = runBin(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), pkg.version);
  });
});

describe('the README', () => {
  it('shows output the tool really prints for the bundled sample, line for line', async () => {
    const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
    const block = /```text\n\$ npx envoy-doctor analyze (\S+)\n([\s\S]*?)\n```/.exec(readme);
    assert.ok(block, 'README has an example run');
    const actual = (await run(['analyze', block[1] as string])).stdout.split('\n');
    let at = 0;
    for (const line of (block[2] as string).split('\n')) {
      if (line.trim() === '...') continue;
      const found = actual.indexOf(line, at);
      assert.ok(found >= 0, `README line not in the output (in order): ${line}`);
      at = found + 1;
    }
  });
});

describe('a YAML config dump too large to hold as one document', () => {
  it('exits 65 naming the file and its size instead of running out of memory', async () => {
    const { mkdtemp, rm, truncate, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/envoy-doctor-`);
    const path = `${dir}/config_dump.yaml`;
    try {
      // Sparse: 600 MiB on paper, 70 KiB of YAML (more than the head content is recognised from) on disk.
      await writeFile(path, `configs:\n- "@type": type.googleapis.com/envoy.admin.v3.ClustersConfigDump\n${'# padding\n'.repeat(7000)}`);
      await truncate(path, 600 * 1024 * 1024);
      const r = await run(['analyze', '--config-dump', path]);
      assert.equal(r.code, 65);
      assert.match(
        r.stderr,
        new RegExp(
          `^envoy-doctor: ${path}: 600 MiB of YAML is more than the 500 MiB a YAML document can be read in; expected a smaller YAML dump, or Envoy /config_dump JSON`,
        ),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
