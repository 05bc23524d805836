// The pure parts of delivery, Slack messages and state, table-driven.

import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RootCause } from '../../src/model/finding.ts';
import { backoffMs, Deliverer, retryableStatus, retryAfterMs } from '../../src/notify/deliver.ts';
import { eventsFor } from '../../src/notify/events.ts';
import { codeSection, docsReference, SECTION_LIMIT, slackMessage } from '../../src/notify/slack.ts';
import { docsBase, REPOSITORY_URL } from '../../src/report/links.ts';
import { applyChanges, emptyState, FileStateStore, parseState, parseStateSpec } from '../../src/notify/state.ts';
import { ROOT } from '../helpers/cli.ts';
import { startSinkServer } from '../helpers/sink-server.ts';

describe('Retry-After and backoff', () => {
  const NOW = Date.parse('2026-01-01T00:00:00Z');
  const cases: Array<[string | undefined, number | undefined]> = [
    ['1', 1000],
    ['120', 120_000],
    [' 3 ', 3000],
    ['Thu, 01 Jan 2026 00:00:05 GMT', 5000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['soon', undefined],
    ['-1', undefined],
    ['1.5', undefined],
    [undefined, undefined],
  ];
  for (const [header, ms] of cases) it(`Retry-After ${JSON.stringify(header)} → ${ms}`, () => assert.equal(retryAfterMs(header, NOW), ms));
  it('backoff doubles from the base and is capped; Retry-After wins, capped too', () => {
    const o = { baseDelayMs: 1000, maxDelayMs: 30_000 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((a) => backoffMs(a, o)),
      [1000, 2000, 4000, 8000, 16_000, 30_000],
    );
    assert.equal(backoffMs(0, o, 1000), 1000);
    assert.equal(backoffMs(3, o, 0), 0);
    assert.equal(backoffMs(0, o, 3_600_000), 30_000);
  });
  it('retries 429 and 5xx only', () => {
    assert.deepEqual([200, 400, 401, 403, 404, 410, 429, 500, 502, 503, 504].filter(retryableStatus), [429, 500, 502, 503, 504]);
  });
});

describe('Deliverer', () => {
  it('retries 503 and 429 with the waits asked for, and stops at a final 4xx', async () => {
    const sink = await startSinkServer();
    const waits: number[] = [];
    const d = new Deliverer({ timeoutMs: 2000, retries: 3, baseDelayMs: 100, sleep: async (ms) => void waits.push(ms) });
    try {
      sink.script.push({ status: 503 }, { status: 429, headers: { 'retry-after': '7' } });
      assert.deepEqual(await d.post(sink.url, { n: 1 }), { ok: true, attempts: 3 });
      assert.deepEqual(waits, [100, 7000]);
      sink.script.push({ status: 400, body: 'invalid_payload' });
      assert.deepEqual(await d.post(sink.url, { n: 2 }, (t) => t), { ok: false, attempts: 1, reason: 'HTTP 400 invalid_payload' });
      sink.fallback = { status: 500 };
      const down = await d.post(sink.url, { n: 3 });
      assert.deepEqual(down, { ok: false, attempts: 4, reason: 'HTTP 500' });
      assert.deepEqual(
        sink.delivered().map((r) => r.body),
        [{ n: 1 }],
      );
      assert.equal(sink.received[0]?.contentType, 'application/json; charset=utf-8');
    } finally {
      await d.close();
      await sink.close();
    }
  });
  it('a sink that does not answer times out, and one that is not there is refused; neither message names the address', async () => {
    const sink = await startSinkServer();
    sink.fallback = { status: 200, hang: true };
    const d = new Deliverer({ timeoutMs: 300, retries: 1, baseDelayMs: 10 });
    try {
      const slow = await d.post(sink.url, {});
      assert.deepEqual(slow, { ok: false, attempts: 2, reason: 'no answer within 0.3s' });
      const port = sink.port;
      await sink.close();
      const gone = await d.post(`http://127.0.0.1:${port}/hook`, {});
      assert.deepEqual(gone, { ok: false, attempts: 2, reason: 'connection refused' });
    } finally {
      await d.close();
      await sink.close();
    }
  });
});

describe('Slack messages', () => {
  it('a code block over the section limit is cut at a line, with a marker inside the block', () => {
    const code = Array.from({ length: 400 }, (_, i) => `key${i}: ${'x'.repeat(10)}`).join('\n');
    const text = codeSection('*Fix*\n', code);
    assert.ok(text.length <= SECTION_LIMIT, `${text.length}`);
    assert.ok(text.startsWith('*Fix*\n```key0: '));
    assert.ok(text.endsWith("cut (Slack's limit); the full fix is in the report```"));
    const kept = text.split('\n').filter((l) => /^(```)?key\d+:/.test(l)).length;
    assert.match(text, new RegExp(`# … ${400 - kept} more lines cut`));
    assert.equal(codeSection('p\n', 'a: 1\nb: <2>\n'), 'p\n```a: 1\nb: &lt;2&gt;```');
  });
  it('docs: an absolute link to the page at the running version', () => {
    assert.equal(docsReference('docs/findings/x.md', docsBase('1.2.3')), `<${REPOSITORY_URL}/blob/v1.2.3/docs/findings/x.md|docs/findings/x.md>`);
    assert.equal(docsReference(undefined, docsBase('1.2.3')), undefined);
  });
  it('the fix shown is the first one for the flavor of the proxy, and every section is within the limit', () => {
    const fix = (flavor: 'envoy' | 'envoy-gateway', target: string, text: string) => ({
      flavor,
      target,
      apply: 'envoy-config' as const,
      format: 'yaml' as const,
      text,
      notes: [],
    });
    const r: RootCause = {
      id: 'missing-tcp-keepalive',
      severity: 'warning',
      confidence: 'medium',
      score: 0.6,
      snapshot: 'p1',
      seenOn: ['p1'],
      entities: Array.from({ length: 300 }, (_, i) => ({ kind: 'cluster' as const, name: `cluster-number-${i}-with-a-long-name` })),
      evidence: [],
      explains: [],
      checks: [],
      changes: [],
      fixes: [fix('envoy-gateway', 'eg', 'kind: X'), fix('envoy', 'cluster a', 'a: 1'), fix('envoy', 'cluster b', 'b: 2')],
    };
    const [event] = eventsFor({}, { snapshots: [{ id: 'p1' }], rootCauses: [r], notCollected: [] }, new Date(0), 0);
    const m = slackMessage(event as NonNullable<typeof event>, { snapshots: [{ id: 'p1', flavor: 'envoy' }], docsBase: docsBase('9.9.9'), now: new Date(0) });
    const texts = m.blocks.flatMap((b) => (b.type === 'section' ? [b.text.text] : b.type === 'context' ? b.elements.map((e) => e.text) : []));
    assert.ok(texts.every((t) => t.length <= SECTION_LIMIT));
    assert.ok(texts.some((t) => t.includes('*Fix (Envoy)*: cluster a') && t.includes('```a: 1```')));
    assert.ok(texts.some((t) => t === 'and 1 more Envoy change in the report'));
    assert.ok(
      texts.some((t) => t.includes(`Docs: <${REPOSITORY_URL}/blob/v9.9.9/docs/findings/missing-tcp-keepalive.md|docs/findings/missing-tcp-keepalive.md>`)),
    );
  });
});

describe('state', () => {
  const specs: Array<[string, unknown]> = [
    ['state.json', { kind: 'file', path: 'state.json' }],
    ['/var/lib/envoy-doctor/state.json', { kind: 'file', path: '/var/lib/envoy-doctor/state.json' }],
    ['configmap:envoy-doctor/envoy-doctor-state', { kind: 'configmap', namespace: 'envoy-doctor', name: 'envoy-doctor-state' }],
    ['configmap:envoy-doctor', undefined],
    ['configmap:Envoy/x', undefined],
    ['configmap:a/b/c', undefined],
    ['', undefined],
  ];
  for (const [text, spec] of specs) {
    it(`--state ${JSON.stringify(text)}`, () => {
      if (spec) assert.deepEqual(parseStateSpec(text), spec);
      else assert.throws(() => parseStateSpec(text), { name: 'RequestError' });
    });
  }
  const bad: Array<[string, RegExp]> = [
    ['{', /^s: not JSON; expected/],
    ['[]', /^s: not envoy-doctor notification state/],
    ['{"version":2,"sinks":{}}', /^s: state version 2; expected 1/],
    ['{"version":1,"sinks":{"slack":{"abc":{"rootCause":"x"}}}}', /^s: sinks\.slack\.abc: expected/],
  ];
  for (const [text, message] of bad) it(`rejects ${text}`, () => assert.throws(() => parseState(text, 's'), { name: 'InputError', message }));
  it('applyChanges sets and removes entries and drops empty sinks', () => {
    const e = {
      rootCause: 'x',
      severity: 'error' as const,
      scope: null,
      entities: [],
      openedAt: '2026-01-01T00:00:00.000Z',
      notifiedAt: '2026-01-01T00:00:00.000Z',
    };
    const one = applyChanges(emptyState(), [{ sink: 'slack', fingerprint: 'f1', next: e }]);
    assert.deepEqual(one.sinks, { slack: { f1: e } });
    assert.deepEqual(applyChanges(one, [{ sink: 'slack', fingerprint: 'f1', next: null }]).sinks, {});
    assert.deepEqual(one.sinks.slack?.f1, e, 'the input is not modified');
  });
  it('the file store writes through a temporary file and a rename, leaving nothing else behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-state-'));
    try {
      const store = new FileStateStore(join(dir, 'state.json'));
      assert.deepEqual(await store.read(), emptyState());
      const e = {
        rootCause: 'x',
        severity: 'error' as const,
        scope: null,
        entities: [],
        openedAt: '2026-01-01T00:00:00.000Z',
        notifiedAt: '2026-01-01T00:00:00.000Z',
      };
      await store.write([{ sink: 'webhook', fingerprint: 'f1', next: e }]);
      await store.write([{ sink: 'slack', fingerprint: 'f2', next: e }]);
      assert.deepEqual(await readdir(dir), ['state.json']);
      assert.deepEqual(parseState(await readFile(join(dir, 'state.json'), 'utf8'), 'f').sinks, { slack: { f2: e }, webhook: { f1: e } });
      await writeFile(join(dir, 'state.json'), 'not json');
      await assert.rejects(store.read(), {
        name: 'InputError',
        message: `--state ${join(dir, 'state.json')}: not JSON; expected the envoy-doctor notification state ({"version": 1, "sinks": {...}})`,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Slack message for a root cause seen on a fleet', () => {
  it('names a few proxies and how many more, not all 200', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `envoy-home-eg-${String(i).padStart(3, '0')}`);
    const r: RootCause = {
      id: 'missing-tcp-keepalive',
      severity: 'warning',
      confidence: 'medium',
      score: 0.6,
      snapshot: ids[0] as string,
      seenOn: ids,
      entities: [{ kind: 'cluster', name: 'c' }],
      evidence: [],
      explains: [],
      checks: [],
      changes: [],
      fixes: [],
    };
    const snapshots = ids.map((id) => ({ id, owner: 'deployment envoy-gateway-system/envoy-home-eg', flavor: 'envoy-gateway' as const }));
    const [event] = eventsFor({}, { snapshots, rootCauses: [r], notCollected: [] }, new Date(0), 0);
    const m = slackMessage(event as NonNullable<typeof event>, { snapshots, docsBase: docsBase('9.9.9'), now: new Date(0) });
    const text = JSON.stringify(m.blocks);
    assert.match(text, /200 proxies envoy-home-eg-000, envoy-home-eg-001, [^"]* and \d+ more/);
    assert.ok(!text.includes('envoy-home-eg-199'), 'not every proxy is listed');
  });
});

describe('webhook bodies', () => {
  it("are the run's JSON report with the event's fields after its members, the report written once for every event", async () => {
    const { loadOffline } = await import('../../src/collect/files.ts');
    const { diagnose } = await import('../../src/cli/diagnosis.ts');
    const { jsonReport } = await import('../../src/report/json.ts');
    const { webhookSink } = await import('../../src/notify/webhook.ts');
    const { JsonBytes } = await import('../../src/notify/deliver.ts');
    const { snapshots } = await loadOffline({ bundle: join(ROOT, 'samples/home-assistant-websocket-drops') });
    const d = await diagnose(snapshots);
    const report = jsonReport(d, { name: 'envoy-doctor', version: '0.0.0' }, { failOn: 'error' });
    const now = new Date('2026-01-01T00:00:00Z');
    const events = eventsFor({}, d, now, 0);
    assert.ok(events.length >= 2, `${events.length} events`);
    let writes = 0;
    // The report's members (for the concerns) and a count of how often it is written as JSON.
    const counted = {
      ...(report as Record<string, unknown>),
      toJSON() {
        writes++;
        return report;
      },
    };
    const sink = webhookSink('http://127.0.0.1:1/hook', d, counted, now);
    for (const e of events) {
      const body = sink.payload(e);
      assert.ok(body instanceof JsonBytes);
      const expected = JSON.parse(JSON.stringify(report)) as Record<string, unknown>;
      const parsed = JSON.parse(body.bytes.toString('utf8')) as Record<string, unknown>;
      assert.deepEqual(Object.keys(parsed), [...Object.keys(expected), 'event', 'notification', 'concerns']);
      assert.equal(parsed.event, e.kind);
      assert.equal((parsed.notification as { fingerprint: string }).fingerprint, e.fingerprint);
      assert.deepEqual(
        (parsed.concerns as Array<{ id: string }>).map((c) => c.id),
        e.rootCauses.map((r) => r.id),
      );
      const { event: _e, notification: _n, concerns: _c, ...rest } = parsed;
      assert.deepEqual(rest, expected);
    }
    assert.equal(writes, 1);
  });
});
