// Access logs (Envoy Gateway JSON, Envoy's and Istio's text formats, behind kubectl's prefixes), build versions and
// the duration readers: every well-formed entry is read back, junk never crashes the reader, and the number of
// entries never exceeds the number of lines.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseAccessLog } from '../../src/parse/access-log-formats.ts';
import { parseDurationMs, protoDurationMs } from '../../src/parse/durations.ts';
import { releaseOfBuildVersion } from '../../src/parse/server-info.ts';
import { bounded, byteDamage, damage, edgeNumberText, hostileName, modelOrInputError, settings } from './harness.ts';

const SOURCE = 'access.log';

/** A value Envoy prints inside a quoted field: hostile, but without the quote that ends the field or a line break. */
const quotedValue = hostileName.map((v) => v.replace(/["\r\n]/g, '_'));

const entry = fc.record({
  code: fc.integer({ min: 0, max: 999 }),
  flags: fc.constantFrom('-', 'UC', 'UC,URX', 'DC', 'UT', 'SI'),
  method: fc.constantFrom('GET', 'POST', 'CONNECT'),
  path: quotedValue.map((p) => `/${p.replace(/\s/g, '')}`),
  agent: quotedValue,
  rx: fc.nat(),
  tx: fc.nat(),
  duration: fc.nat(),
  host: quotedValue,
  route: quotedValue.map((r) => r.replace(/\s/g, '') || '-'),
});
type Entry = typeof entry extends fc.Arbitrary<infer T> ? T : never;

function envoyText(e: Entry): string {
  return `[2026-11-20T21:14:05.123Z] "${e.method} ${e.path} HTTP/1.1" ${e.code} ${e.flags} ${e.rx} ${e.tx} ${e.duration} - "-" "${e.agent}" "id" "host" "${e.host}"`;
}

function istioText(e: Entry): string {
  return `[2026-11-20T21:14:05.123Z] "${e.method} ${e.path} HTTP/1.1" ${e.code} ${e.flags} via_upstream - "-" ${e.rx} ${e.tx} ${e.duration} - "-" "${e.agent}" "id" "host" "${e.host}" outbound|80||a.b 10.0.0.1:1 10.0.0.2:2 10.0.0.3:3 - ${e.route}`;
}

function gatewayJson(e: Entry, pretty: boolean): string {
  const o = {
    start_time: '2026-11-20T21:14:05.123Z',
    method: e.method,
    'x-envoy-origin-path': e.path,
    protocol: 'HTTP/1.1',
    response_code: e.code,
    response_flags: e.flags,
    bytes_received: e.rx,
    bytes_sent: e.tx,
    duration: e.duration,
    'user-agent': e.agent,
    upstream_host: e.host,
    route_name: e.route,
  };
  return JSON.stringify(o, null, pretty ? 2 : undefined);
}

const layout = fc.constantFrom('envoy', 'istio', 'json', 'pretty');
const prefix = fc.constantFrom('', '2026-11-20T21:14:05.123456789Z ', '[pod/envoy-1/envoy] ', '[pod/envoy-1/envoy] 2026-11-20T21:14:05Z ');

function render(e: Entry, how: string, pre: string): string {
  const text = how === 'envoy' ? envoyText(e) : how === 'istio' ? istioText(e) : gatewayJson(e, how === 'pretty');
  return text
    .split('\n')
    .map((l) => `${pre}${l}`)
    .join('\n');
}

/** Envoy's own log lines and other junk that contains no brace or bracket to open a JSON block with. */
const junk = fc.oneof(
  fc.constantFrom('[2026-11-20 21:14:05.123][1][info][main] starting', 'warning: envoy.filters', '', '   ', '-', '"quoted"', 'not a log line'),
  hostileName.map((v) => v.replace(/[{}[\]\r\n]/g, '_')),
);

describe('access logs: entries read back, junk skipped, never a crash', () => {
  it('every well-formed entry in any of the formats, between junk lines, is read with its code, sizes and flags', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(entry, layout, prefix, fc.array(junk, { maxLength: 2 })), { minLength: 1, maxLength: 20 }), fc.boolean(), (items, crlf) => {
        const lines: string[] = [];
        for (const [e, how, pre, before] of items) lines.push(...before, render(e, how, pre));
        const text = lines.join(crlf ? '\r\n' : '\n');
        const log = modelOrInputError(SOURCE, () => parseAccessLog(text, SOURCE));
        assert.ok(log, 'a log with entries is read');
        assert.equal(log.entries.length, items.length);
        items.forEach(([e], i) => {
          const got = log.entries[i];
          assert.equal(got?.responseCode, e.code);
          assert.equal(got?.bytesReceived, e.rx);
          assert.equal(got?.bytesSent, e.tx);
          assert.equal(got?.durationMs, e.duration);
          assert.deepEqual(got?.responseFlags, e.flags === '-' ? [] : e.flags.split(','));
        });
      }),
      settings(200, 20),
    );
  });

  it('damaged logs and arbitrary lines: entries or the input error, never more entries than lines', () => {
    const line = fc.oneof(
      fc.tuple(entry, layout, prefix).map(([e, how, pre]) => render(e, how, pre)),
      junk,
      fc.constantFrom('{', '}', '[', '{"a":', '"}', '{"response_code": 200, "duration": 1, "method": "GET"', ']]]]', '{{{{{{{{'),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.string({ unit: 'binary', maxLength: 80 }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), fc.array(byteDamage, { maxLength: 3 }), (lines, damages) => {
        const text = damages.reduce(damage, Buffer.from(lines.join('\n'))).toString('utf8');
        const log = modelOrInputError(SOURCE, () => parseAccessLog(text, SOURCE));
        if (log)
          assert.ok(
            log.entries.length + log.skipped <= text.split('\n').length,
            `${log.entries.length} entries and ${log.skipped} skipped of ${text.split('\n').length} lines`,
          );
      }),
      settings(300, 21),
    );
  });

  it('an unclosed JSON block of thousands of lines is given up on, not held', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), entry, (open, e) => {
        const text = `${'{\n'.repeat(open)}${gatewayJson(e, false)}\n`;
        const log = modelOrInputError(SOURCE, () => parseAccessLog(text, SOURCE));
        assert.equal(log?.entries.length, 1);
      }),
      settings(20, 22),
    );
  });
});

describe('build versions and durations', () => {
  it('the release of a build version is x.y.z or nothing, for any version string', () => {
    const version = fc.oneof(
      hostileName,
      fc.constantFrom('abc/1.35.6/Clean/RELEASE/BoringSSL', '1.2.3', '/1.2.3/', ''),
      fc.string({ unit: 'binary', maxLength: 200 }),
    );
    fc.assert(
      fc.property(version, (v) => {
        const release = releaseOfBuildVersion(v);
        if (release !== undefined) assert.match(release, /^\d+\.\d+\.\d+$/);
      }),
      settings(300, 23),
    );
  });

  it('duration readers return a finite number of milliseconds or nothing', () => {
    const text = fc.oneof(
      edgeNumberText.map((n) => `${n}s`),
      fc
        .array(fc.tuple(edgeNumberText, fc.constantFrom('h', 'm', 's', 'ms', 'us', '')), { maxLength: 4 })
        .map((parts) => parts.map(([n, u]) => `${n}${u}`).join('')),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(text, fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.record({ seconds: edgeNumberText, nanos: edgeNumberText })), (t, value) => {
        for (const ms of [bounded(() => parseDurationMs(t)), bounded(() => protoDurationMs(t)), bounded(() => protoDurationMs(value))]) {
          if (ms !== undefined) assert.ok(Number.isFinite(ms), `${JSON.stringify(t)} / ${JSON.stringify(value)} gave ${ms}`);
        }
      }),
      settings(400, 24),
    );
  });
});
