import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/upstream-protocol.ts';
import { rootCause as rule } from '../../src/diagnose/root-causes/upstream-http2-websocket.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import { diagnoseWith, type ExpectedRootCause, expectNamed, withAccessLog } from '../helpers/root-cause.ts';
import { clusterStats, type FixtureSpec, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const h2ByAlpn = {
  typed_extension_protocol_options: { [OPTIONS]: { '@type': `type.googleapis.com/${OPTIONS}`, auto_config: { http2_protocol_options: {} } } },
  transport_socket: {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      common_tls_context: { alpn_protocols: ['h2', 'http/1.1'] },
    },
  },
};
const config = { clusters: [gatewayCluster(C, h2ByAlpn)], listeners: [gatewayListener()], routeConfigs: [routeConfig('home/eg/https', [C])] };
const hcm = httpStats('https-10443', { downstream_cx_upgrades_total: 40, downstream_rq_ws_on_non_ws_route: 0 });
const cb = { 'circuit_breakers.default.cx_open': 0, 'circuit_breakers.default.rq_open': 0, upstream_cx_overflow: 0, upstream_rq_pending_overflow: 0 };
const reset502: AccessLogEntry = {
  responseCode: 502,
  responseCodeDetails: 'upstream_reset_before_response_started{protocol_error}',
  responseFlags: ['UPE'],
  upstreamCluster: C,
};

/** Cluster stats of HTTP/2 connections with `errors` protocol errors and stream resets so far. */
const errorsAt = (errors: number) => ({
  ...hcm,
  ...clusterStats(C, { ...cb, upstream_cx_http2_total: 9, upstream_cx_protocol_error: errors, upstream_rq_rx_reset: errors }),
});

describe('upstream-http2-websocket rule', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; log?: AccessLogEntry[]; want: ExpectedRootCause | undefined }> = [
    {
      name: 'h2 by ALPN, protocol errors in the window and 502 protocol_error in the log: error, high, others ruled out',
      spec: { ...config, stats: errorsAt(20), statsLater: errorsAt(26), intervalSeconds: 30 },
      log: [reset502, reset502],
      want: {
        severity: 'error',
        confidence: 'high',
        score: 1,
        entities: [{ kind: 'cluster', name: C }],
        explains: ['upstream-h2-by-alpn', 'protocol-error-502s', 'upstream-protocol-errors'],
        values: {
          'upstream-h2-by-alpn': { upstreamAlpn: 'h2,http/1.1', http2Connections: 9 },
          'upstream-protocol-errors': { protocolErrors: 26, windowProtocolErrors: 6, rxResets: 26, windowRxResets: 6, windowSeconds: 30 },
        },
        checks: ['circuit-breaker-saturation:ruled-out', 'websocket-upgrade-disabled:ruled-out'],
        changes: [{ kind: 'cluster-client-protocol', cluster: 'httproute/home/app/rule/0' }],
      },
    },
    {
      name: 'protocol error totals from one sample: warning, medium',
      spec: { ...config, stats: { ...hcm, ...clusterStats(C, { upstream_cx_http2_total: 9, upstream_cx_protocol_error: 3 }) } },
      want: { severity: 'warning', score: 0.6, confidence: 'medium' },
    },
    {
      name: 'no error evidence but WebSockets in use over h2: named at low confidence, severity info',
      spec: { ...config, stats: { ...hcm, ...clusterStats(C, { upstream_cx_http2_total: 9, upstream_cx_protocol_error: 0, upstream_rq_rx_reset: 0 }) } },
      want: { severity: 'info', confidence: 'low', score: 0.4 },
    },
    { name: 'configuration alone names nothing', spec: config, want: undefined },
    {
      name: 'ALPN that only ever chose HTTP/1.1 names nothing',
      spec: { ...config, stats: { ...hcm, ...clusterStats(C, { upstream_cx_http2_total: 0, upstream_cx_http1_total: 80 }) } },
      want: undefined,
    },
  ];
  for (const c of cases) it(c.name, () => expectNamed(diagnoseWith(rule, analyze, withAccessLog(c.spec, c.log)), 'upstream-http2-websocket', c.want));
});
