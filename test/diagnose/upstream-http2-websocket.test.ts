import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/upstream-protocol.ts';
import { rootCause as rule } from '../../src/diagnose/root-causes/upstream-http2-websocket.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import { clusterStats, type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const h2ByAlpn = {
  typed_extension_protocol_options: { [OPTIONS]: { '@type': `type.googleapis.com/${OPTIONS}`, auto_config: { http2_protocol_options: {} } } },
  transport_socket: {
    name: 'envoy.transport_sockets.tls',
    typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', common_tls_context: { alpn_protocols: ['h2', 'http/1.1'] } },
  },
};
const config = { clusters: [gatewayCluster(C, h2ByAlpn)], listeners: [gatewayListener()], routeConfigs: [routeConfig('home/eg/https', [C])] };
const hcm = httpStats('https-10443', { downstream_cx_upgrades_total: 40, downstream_rq_ws_on_non_ws_route: 0 });
const cb = { 'circuit_breakers.default.cx_open': 0, 'circuit_breakers.default.rq_open': 0, upstream_cx_overflow: 0, upstream_rq_pending_overflow: 0 };
const reset502: AccessLogEntry = { responseCode: 502, responseCodeDetails: 'upstream_reset_before_response_started{protocol_error}', responseFlags: ['UPE'], upstreamCluster: C };

function diagnose(spec: FixtureSpec, log?: AccessLogEntry[]) {
  const s = fixture(spec);
  if (log) s.accessLog = { source: 'access.log', entries: log, skipped: 0 };
  return rule.diagnose(s, analyze(s));
}

describe('upstream-http2-websocket rule', () => {
  it('h2 by ALPN, protocol errors in the window and 502 protocol_error in the log: error, high, others ruled out', () => {
    const at = (errors: number) => ({ ...hcm, ...clusterStats(C, { ...cb, upstream_cx_http2_total: 9, upstream_cx_protocol_error: errors, upstream_rq_rx_reset: errors }) });
    const [rc, ...rest] = diagnose({ ...config, stats: at(20), statsLater: at(26), intervalSeconds: 30 }, [reset502, reset502]);
    assert.equal(rest.length, 0);
    assert.equal(rc?.id, 'upstream-http2-websocket');
    assert.equal(rc?.severity, 'error');
    assert.equal(rc?.confidence, 'high');
    assert.equal(rc?.score, 1);
    assert.deepEqual(rc?.entities, [{ kind: 'cluster', name: C }]);
    assert.deepEqual(rc?.explains.map((e) => e.code), ['upstream-h2-by-alpn', 'protocol-error-502s', 'upstream-protocol-errors']);
    assert.deepEqual(rc?.explains[0]?.values, { upstreamAlpn: 'h2,http/1.1', http2Connections: 9 });
    assert.deepEqual(rc?.explains[2]?.values, { protocolErrors: 26, windowProtocolErrors: 6, rxResets: 26, windowRxResets: 6, windowSeconds: 30 });
    assert.deepEqual(rc?.checks.map((c) => `${c.hypothesis}:${c.verdict}`), ['circuit-breaker-saturation:ruled-out', 'websocket-upgrade-disabled:ruled-out']);
    assert.deepEqual(rc?.changes, [{ kind: 'cluster-client-protocol', cluster: 'httproute/home/app/rule/0' }]);
  });

  it('protocol error totals from one sample: warning, medium', () => {
    const [rc] = diagnose({ ...config, stats: { ...hcm, ...clusterStats(C, { upstream_cx_http2_total: 9, upstream_cx_protocol_error: 3 }) } });
    assert.equal(rc?.severity, 'warning');
    assert.equal(rc?.score, 0.6);
    assert.equal(rc?.confidence, 'medium');
  });

  it('no error evidence but WebSockets in use over h2: named at low confidence, severity info', () => {
    const [rc] = diagnose({ ...config, stats: { ...hcm, ...clusterStats(C, { upstream_cx_http2_total: 9, upstream_cx_protocol_error: 0, upstream_rq_rx_reset: 0 }) } });
    assert.equal(rc?.severity, 'info');
    assert.equal(rc?.confidence, 'low');
    assert.equal(rc?.score, 0.4);
  });

  it('configuration alone, or ALPN that only ever chose HTTP/1.1, names nothing', () => {
    assert.deepEqual(diagnose(config), []);
    assert.deepEqual(diagnose({ ...config, stats: { ...hcm, ...clusterStats(C, { upstream_cx_http2_total: 0, upstream_cx_http1_total: 80 }) } }), []);
  });
});
