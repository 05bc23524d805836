// WebSocket routes in front of clusters that speak HTTP/2 upstream. Envoy sends an HTTP/1.1 upgrade to an HTTP/2
// upstream as an extended CONNECT (RFC 8441, docs/root/intro/arch_overview/http/upgrades.rst); a backend that
// negotiates h2 but does not support it resets the stream, and the client gets 502 with details
// `upstream_reset_before_response_started{protocol_error}` (envoyproxy/gateway#9121). The upstream protocol comes
// from the cluster's `envoy.extensions.upstreams.http.v3.HttpProtocolOptions`
// (api/envoy/extensions/upstreams/http/v3/http_protocol_options.proto): `explicit_http_config` with
// `http2_protocol_options`, or `auto_config` with TLS, which picks h2 when ALPN does (its default ALPN is
// `h2,http/1.1`). Envoy Gateway >= 1.6 gives TLS backends ALPN [h2, http/1.1]. Stats: `upstream_cx_http2_total`,
// `upstream_cx_protocol_error`, `upstream_rq_rx_reset` (docs/root/configuration/upstream/cluster_manager/cluster_stats.rst).

import { findingType } from '../model/catalogue-entry.ts';
import { CLUSTER_STATS, type ClusterStat, HTTP_STATS } from '../model/envoy-stats.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Cluster, Snapshot, UpstreamProtocol } from '../model/snapshot.ts';
import { delta, stat } from '../model/stats-view.ts';
import { upgradesOn, webSocketClusters } from '../model/topology.ts';
import { defineAnalyzer, finding } from './analyzer.ts';

/** Evidence of a cluster behind WebSocket-capable routes that speaks, or may speak, HTTP/2 upstream. */
interface WebSocketClusterSpeaksHttp2 {
  http2Source: Http2Source;
  upstreamProtocol: UpstreamProtocol;
  upstreamAlpn?: string;
  upstreamTls: boolean;
  websocketRoutes: number;
  upgradesTotal?: number;
  http2Connections?: number;
  http1Connections?: number;
  protocolErrors?: number;
  windowProtocolErrors?: number;
  rxResets?: number;
  windowRxResets?: number;
  windowSeconds?: number;
  logProtocolErrors?: number;
  logUpgrades?: number;
}

/** HTTP/2 upstream behind WebSocket-capable routes. */
const WEBSOCKET_CLUSTER_SPEAKS_HTTP2 = findingType<WebSocketClusterSpeaksHttp2>()(
  'websocket-cluster-speaks-http2',
  'HTTP/2 upstream behind WebSocket-capable routes',
  'HTTP/2 upstream ({http2Source}, ALPN {upstreamAlpn}) behind WebSocket-capable routes ({websocketRoutes}): {http2Connections} {http2Connections|HTTP/2 connection|HTTP/2 connections}, {protocolErrors} {protocolErrors|protocol error|protocol errors}, {rxResets} {rxResets|reset|resets}[?, {logProtocolErrors} {logProtocolErrors|protocol-error 502|protocol-error 502s} logged]',
);

export const meta = defineAnalyzer({
  id: 'upstream-protocol',
  title: 'HTTP/2 towards backends behind WebSocket routes',
  reads: ['config', 'stats', 'stats-later', 'access-log'],
  stats: {
    cluster: [CLUSTER_STATS.cxHttp2Total, CLUSTER_STATS.cxHttp1Total, CLUSTER_STATS.cxProtocolError, CLUSTER_STATS.rqRxReset],
    http: [HTTP_STATS.cxUpgradesTotal],
  },
  families: [
    {
      family: 'upstream-protocol',
      rootCauses: ['upstream-http2-websocket'],
      cluster: [CLUSTER_STATS.cxHttp2Total, CLUSTER_STATS.cxProtocolError, CLUSTER_STATS.rqRxReset],
      http: [],
    },
  ],
  findings: [WEBSOCKET_CLUSTER_SPEAKS_HTTP2],
});

/** How HTTP/2 reaches a cluster: configured outright, or negotiated through ALPN (`auto_config` with TLS). */
type Http2Source = 'explicit' | 'alpn';

/** Whether a cluster can speak HTTP/2 upstream, and how; undefined when it cannot. */
function http2Source(c: Cluster): Http2Source | undefined {
  if (c.upstreamProtocol === 'http2') return 'explicit';
  // auto_config without a custom ALPN list offers h2,http/1.1; a custom list offers what it names.
  if (c.upstreamProtocol === 'auto' && c.upstreamTls && (c.upstreamAlpn.length === 0 || c.upstreamAlpn.includes('h2'))) return 'alpn';
  return undefined;
}

/** Access-log details of a stream reset by an upstream protocol error (`upstream_reset_before_response_started{protocol_error}`). */
function isProtocolErrorReset(details: string | undefined): boolean {
  return details?.includes('protocol_error') === true;
}

export function analyze(s: Snapshot): Finding[] {
  const findings: Finding[] = [];
  for (const { cluster, routes, managers } of webSocketClusters(s)) {
    const source = http2Source(cluster);
    if (!source) continue;
    const get = (name: ClusterStat) => stat(s, 'cluster', cluster.statName, name);
    const win = (name: ClusterStat) => delta(s, 'cluster', cluster.statName, name);
    const http2Connections = get(CLUSTER_STATS.cxHttp2Total);
    const http1Connections = get(CLUSTER_STATS.cxHttp1Total);
    const protocolErrors = get(CLUSTER_STATS.cxProtocolError);
    const windowProtocolErrors = win(CLUSTER_STATS.cxProtocolError);
    const rxResets = get(CLUSTER_STATS.rqRxReset);
    const windowRxResets = win(CLUSTER_STATS.rqRxReset);
    let logProtocolErrors: number | undefined;
    let logUpgrades: number | undefined;
    if (s.accessLog) {
      const mine = s.accessLog.entries.filter(
        (e) => e.upstreamCluster === cluster.name || (e.routeName !== undefined && routes.some((r) => r.name === e.routeName)),
      );
      logProtocolErrors = mine.filter((e) => e.responseCode === 502 && isProtocolErrorReset(e.responseCodeDetails)).length;
      logUpgrades = mine.filter((e) => e.responseCode === 101).length;
    }
    // ALPN may still settle on http/1.1: with connections counted and none of them HTTP/2, h2 was never used.
    const http2InUse = source === 'explicit' ? true : http2Connections === undefined ? undefined : http2Connections > 0;
    const upgradesTotal = upgradesOn(s, managers);
    // Resets alone are common on HTTP/2 (cancelled streams); they count only where upgrades were seen.
    let severity: Severity = 'info';
    if (http2InUse !== false) {
      if ((logProtocolErrors ?? 0) > 0 || (windowProtocolErrors ?? 0) > 0) severity = 'error';
      else if ((protocolErrors ?? 0) > 0 || ((rxResets ?? 0) > 0 && (upgradesTotal ?? 0) > 0)) severity = 'warning';
    }
    findings.push(
      finding(
        s,
        WEBSOCKET_CLUSTER_SPEAKS_HTTP2,
        severity,
        { kind: 'cluster', name: cluster.name },
        {
          http2Source: source,
          upstreamProtocol: cluster.upstreamProtocol,
          upstreamAlpn: cluster.upstreamAlpn.length > 0 ? cluster.upstreamAlpn.join(',') : undefined,
          upstreamTls: cluster.upstreamTls,
          websocketRoutes: routes.length,
          upgradesTotal,
          http2Connections,
          http1Connections,
          protocolErrors,
          windowProtocolErrors,
          rxResets,
          windowRxResets,
          windowSeconds: windowProtocolErrors !== undefined || windowRxResets !== undefined ? s.intervalSeconds : undefined,
          logProtocolErrors,
          logUpgrades,
        },
      ),
    );
  }
  return findings;
}
