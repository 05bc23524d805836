import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/websocket-alpn.ts';
import { rootCause as rule } from '../../src/diagnose/root-causes/alpn-h2-websocket.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import { fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const listener = gatewayListener({ alpn: ['h2', 'http/1.1'] });
const h2Upgrade426: AccessLogEntry = { protocol: 'HTTP/2', method: 'GET', responseCode: 426, responseFlags: [], routeName: `${C}/match/0` };

function diagnose(failures: number, withLog = true) {
  const s = fixture({ clusters: [gatewayCluster(C)], listeners: [listener], routeConfigs: [routeConfig('home/eg/https', [C])], stats: httpStats('https-10443', { downstream_cx_http2_total: 90 }) });
  if (withLog) s.accessLog = { source: 'access.log', entries: Array.from({ length: failures }, () => h2Upgrade426), skipped: 0 };
  return rule.diagnose(s, analyze(s));
}

describe('alpn-h2-websocket rule', () => {
  it('ten or more failed HTTP/2 handshakes: error, high, allow_connect on the listener', () => {
    const [rc, ...rest] = diagnose(12);
    assert.equal(rest.length, 0);
    assert.equal(rc?.id, 'alpn-h2-websocket');
    assert.equal(rc?.severity, 'error');
    assert.equal(rc?.confidence, 'high');
    assert.equal(rc?.score, 0.85);
    assert.deepEqual(rc?.entities, [{ kind: 'listener', name: 'home/eg/https' }]);
    assert.deepEqual(rc?.explains, [
      { code: 'h2-handshakes-fail', values: { listener: 'home/eg/https', alpn: 'h2,http/1.1', h2Failures: 12, h2Rejected426: 12, h2Rejected400: 0, h2ConnectRefused: 0, http2Connections: 90 } },
      { code: 'allow-connect-forwards-no-websocket-key', values: { listener: 'home/eg/https' } },
    ]);
    assert.deepEqual(rc?.changes, [{ kind: 'listener-allow-connect', listener: 'home/eg/https' }]);
  });
  it('a few failed handshakes: warning, medium', () => {
    const [rc] = diagnose(2);
    assert.equal(rc?.severity, 'warning');
    assert.equal(rc?.confidence, 'medium');
    assert.equal(rc?.score, 0.7);
  });
  it('the configuration alone names nothing: with no failures, or no access log to tell', () => {
    assert.deepEqual(diagnose(0), []);
    assert.deepEqual(diagnose(0, false), []);
  });
});

describe('alpn-h2-websocket rule: HTTP/2 protocol errors in stats (extended CONNECTs Envoy never allowed)', () => {
  const P = 'https-10443';
  const cases: Array<{
    name: string;
    stats: Record<string, number>;
    later?: Record<string, number>;
    failures?: number;
    want: { score: number; confidence: string; severity: string; codes: string[]; windowProtocolErrors?: number | null } | undefined;
  }> = [
    {
      name: 'rising during the window on HTTP/2 connections: warning, medium',
      stats: { downstream_cx_http2_total: 8, downstream_cx_protocol_error: 5 },
      later: { downstream_cx_http2_total: 12, downstream_cx_protocol_error: 9 },
      want: { score: 0.55, confidence: 'medium', severity: 'warning', codes: ['h2-connect-protocol-errors', 'allow-connect-forwards-no-websocket-key'], windowProtocolErrors: 4 },
    },
    {
      name: 'totals that did not move during the window: history, nothing named',
      stats: { downstream_cx_http2_total: 12, downstream_cx_protocol_error: 9 },
      later: { downstream_cx_http2_total: 12, downstream_cx_protocol_error: 9 },
      want: undefined,
    },
    {
      name: 'totals with one sample: low confidence',
      stats: { downstream_cx_http2_total: 12, downstream_cx_protocol_error: 9 },
      want: { score: 0.4, confidence: 'low', severity: 'warning', codes: ['h2-connect-protocol-errors', 'allow-connect-forwards-no-websocket-key'], windowProtocolErrors: null },
    },
    {
      name: 'totals with one sample, a handful in thousands of HTTP/2 connections (broken clients): nothing named',
      stats: { downstream_cx_http2_total: 18440, downstream_cx_protocol_error: 14 },
      want: undefined,
    },
    {
      name: 'protocol errors without HTTP/2 connections (HTTP/1.1 clients): nothing named',
      stats: { downstream_cx_http2_total: 0, downstream_cx_protocol_error: 3 },
      later: { downstream_cx_http2_total: 0, downstream_cx_protocol_error: 7 },
      want: undefined,
    },
    {
      name: 'failed handshakes in the log and rising protocol errors: both explained, +0.05',
      stats: { downstream_cx_http2_total: 8, downstream_cx_protocol_error: 5 },
      later: { downstream_cx_http2_total: 12, downstream_cx_protocol_error: 9 },
      failures: 2,
      want: { score: 0.75, confidence: 'high', severity: 'error', codes: ['h2-handshakes-fail', 'h2-connect-protocol-errors', 'allow-connect-forwards-no-websocket-key'], windowProtocolErrors: 4 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = fixture({
        clusters: [gatewayCluster(C)],
        listeners: [listener],
        routeConfigs: [routeConfig('home/eg/https', [C])],
        stats: httpStats(P, c.stats),
        ...(c.later ? { statsLater: httpStats(P, c.later), intervalSeconds: 30 } : {}),
      });
      if (c.failures) s.accessLog = { source: 'access.log', entries: Array.from({ length: c.failures }, () => h2Upgrade426), skipped: 0 };
      const [rc, ...rest] = rule.diagnose(s, analyze(s));
      assert.equal(rest.length, 0);
      if (!c.want) return assert.equal(rc, undefined);
      assert.equal(rc?.score, c.want.score);
      assert.equal(rc?.confidence, c.want.confidence);
      assert.equal(rc?.severity, c.want.severity);
      assert.deepEqual(rc?.explains.map((e) => e.code), c.want.codes);
      assert.equal(rc?.explains.find((e) => e.code === 'h2-connect-protocol-errors')?.values.windowProtocolErrors, c.want.windowProtocolErrors);
      assert.deepEqual(rc?.changes, [{ kind: 'listener-allow-connect', listener: 'home/eg/https' }]);
    });
  }
});
