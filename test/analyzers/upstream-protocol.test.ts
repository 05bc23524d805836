import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/upstream-protocol.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { clusterStats, type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const protocol = (options: object) => ({
  typed_extension_protocol_options: { [OPTIONS]: { '@type': `type.googleapis.com/${OPTIONS}`, ...options } },
});
const tls = (alpn?: string[]) => ({
  transport_socket: {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      common_tls_context: alpn ? { alpn_protocols: alpn } : {},
    },
  },
});
const auto = protocol({ auto_config: { http2_protocol_options: {} } });
const spec = (cluster: object, extra: Partial<FixtureSpec> = {}): FixtureSpec => ({
  clusters: [gatewayCluster(C, cluster)],
  listeners: [gatewayListener()],
  routeConfigs: [routeConfig('home/eg/https', [C])],
  ...extra,
});
const upgrades = httpStats('https-10443', { downstream_cx_upgrades_total: 40 });
const reset502: AccessLogEntry = {
  responseCode: 502,
  responseCodeDetails: 'upstream_reset_before_response_started{protocol_error}',
  responseFlags: ['UPE'],
  upstreamCluster: C,
  method: 'GET',
};

describe('upstream-protocol analyzer', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; log?: AccessLogEntry[]; want: ExpectedFinding[] }> = [
    {
      name: 'auto_config with TLS offering h2 (Envoy Gateway >= 1.6), protocol errors in the window: error',
      spec: spec(
        { ...auto, ...tls(['h2', 'http/1.1']) },
        {
          stats: {
            ...upgrades,
            ...clusterStats(C, { upstream_cx_http2_total: 12, upstream_cx_http1_total: 0, upstream_cx_protocol_error: 30, upstream_rq_rx_reset: 31 }),
          },
          statsLater: {
            ...upgrades,
            ...clusterStats(C, { upstream_cx_http2_total: 14, upstream_cx_http1_total: 0, upstream_cx_protocol_error: 36, upstream_rq_rx_reset: 37 }),
          },
          intervalSeconds: 30,
        },
      ),
      want: [
        {
          code: 'websocket-cluster-speaks-http2',
          entity: C,
          severity: 'error',
          evidence: {
            http2Source: 'alpn',
            upstreamProtocol: 'auto',
            upstreamAlpn: 'h2,http/1.1',
            upstreamTls: true,
            http2Connections: 14,
            protocolErrors: 36,
            windowProtocolErrors: 6,
            windowRxResets: 6,
            upgradesTotal: 40,
          },
        },
      ],
    },
    {
      name: 'explicit HTTP/2 with 502 protocol_error in the access log: error',
      spec: spec(protocol({ explicit_http_config: { http2_protocol_options: {} } })),
      log: [reset502, reset502, { responseCode: 200, responseFlags: [], upstreamCluster: C }],
      want: [
        { code: 'websocket-cluster-speaks-http2', entity: C, severity: 'error', evidence: { http2Source: 'explicit', logProtocolErrors: 2, logUpgrades: 0 } },
      ],
    },
    {
      name: 'one sample with protocol errors: warning',
      spec: spec({ ...auto, ...tls() }, { stats: { ...upgrades, ...clusterStats(C, { upstream_cx_http2_total: 3, upstream_cx_protocol_error: 4 }) } }),
      want: [{ code: 'websocket-cluster-speaks-http2', entity: C, severity: 'warning', evidence: { http2Source: 'alpn', protocolErrors: 4 } }],
    },
    {
      name: 'HTTP/2 capable, no error evidence: info',
      spec: spec(
        { ...auto, ...tls(['h2', 'http/1.1']) },
        { stats: { ...upgrades, ...clusterStats(C, { upstream_cx_http2_total: 3, upstream_cx_protocol_error: 0, upstream_rq_rx_reset: 0 }) } },
      ),
      want: [{ code: 'websocket-cluster-speaks-http2', entity: C, severity: 'info', evidence: { http2Connections: 3 } }],
    },
    {
      name: 'ALPN never chose h2 (only HTTP/1.1 connections): info even with protocol errors',
      spec: spec(
        { ...auto, ...tls() },
        { stats: { ...upgrades, ...clusterStats(C, { upstream_cx_http2_total: 0, upstream_cx_http1_total: 50, upstream_cx_protocol_error: 2 }) } },
      ),
      want: [{ code: 'websocket-cluster-speaks-http2', entity: C, severity: 'info', evidence: { http2Connections: 0, http1Connections: 50 } }],
    },
    {
      name: 'auto_config with a custom ALPN list without h2: nothing',
      spec: spec({ ...auto, ...tls(['http/1.1']) }),
      want: [],
    },
    {
      name: 'auto_config without TLS (no ALPN): nothing',
      spec: spec(auto),
      want: [],
    },
    {
      name: 'use_downstream_protocol_config (useClientProtocol) and explicit HTTP/1.1 (appProtocol kubernetes.io/wss): nothing',
      spec: {
        clusters: [
          gatewayCluster(C, { ...protocol({ use_downstream_protocol_config: { http2_protocol_options: {} } }), ...tls(['h2', 'http/1.1']) }),
          gatewayCluster('httproute/home/b/rule/0', { ...protocol({ explicit_http_config: { http_protocol_options: {} } }), ...tls(['h2', 'http/1.1']) }),
        ],
        listeners: [gatewayListener()],
        routeConfigs: [routeConfig('home/eg/https', [C, 'httproute/home/b/rule/0'])],
      },
      want: [],
    },
    {
      name: 'HTTP/2 cluster behind a route without upgrades (HCM without upgrades, route without upgrade_configs): nothing',
      spec: {
        clusters: [gatewayCluster(C, protocol({ explicit_http_config: { http2_protocol_options: {} } }))],
        listeners: [gatewayListener({ upgrade: false })],
        routeConfigs: [routeConfig('home/eg/https', [C])],
      },
      want: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = fixture(c.spec);
      if (c.log) s.accessLog = { source: 'access.log', entries: c.log, skipped: 0 };
      expectFindings(analyze(s), c.want);
    });
  }
});
