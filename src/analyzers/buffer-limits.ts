// Buffer limits where WebSockets are served. Envoy's default per_connection_buffer_limit_bytes is 1 MiB
// (api/envoy/config/cluster/v3/cluster.proto, listener/v3/listener.proto); Envoy Gateway writes 32768 on every
// cluster and listener unless BackendTrafficPolicy / ClientTrafficPolicy `connection.bufferLimit` says otherwise
// (envoyproxy/gateway internal/xds/translator/cluster.go, listener.go). A small limit makes flow control pause
// long-lived streams at the first burst a slow client cannot take.

import { findingType } from '../model/catalogue-entry.ts';
import { HTTP_STATS } from '../model/envoy-stats.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Snapshot, Sourced } from '../model/snapshot.ts';
import { upgradesOn, webSocketClusters, webSocketListeners } from '../model/topology.ts';
import { defineAnalyzer, finding } from './analyzer.ts';

/** Evidence of a buffer limit below 1 MiB on a cluster or listener behind WebSocket-capable routes. */
interface WebSocketBufferLimitLow {
  limitBytes: number;
  limitSource: Sourced<number>['source'];
  websocketRoutes: number;
  upgradesTotal?: number;
}

/** A cluster or listener on a WebSocket path with a buffer limit below 1 MiB. */
const WEBSOCKET_BUFFER_LIMIT_LOW = findingType<WebSocketBufferLimitLow>()(
  'websocket-buffer-limit-low',
  'Buffer limit below 1 MiB where WebSockets are served',
  'per_connection_buffer_limit_bytes is {limitBytes} ({limitSource}) where WebSocket-capable routes are served ({websocketRoutes})',
);

export const meta = defineAnalyzer({
  id: 'buffer-limits',
  title: 'Buffer limits below 1 MiB on WebSocket paths',
  reads: ['config', 'stats'],
  stats: { http: [HTTP_STATS.cxUpgradesTotal] },
  findings: [WEBSOCKET_BUFFER_LIMIT_LOW],
});

/** Limits below this are flagged on WebSocket paths. */
const WEBSOCKET_MIN_BUFFER = 1_048_576;

/** Below 1 MiB, but not 0: a zero limit turns watermarks off (source/common/buffer/watermark_buffer.cc). */
function isLowLimit(bytes: number): boolean {
  return bytes > 0 && bytes < WEBSOCKET_MIN_BUFFER;
}

function severityOf(upgrades: number | undefined): Severity {
  return upgrades !== undefined && upgrades > 0 ? 'warning' : 'info';
}

export function analyze(s: Snapshot): Finding[] {
  const findings: Finding[] = [];
  for (const { cluster, routes, managers } of webSocketClusters(s)) {
    if (!isLowLimit(cluster.bufferLimitBytes.value)) continue;
    const upgrades = upgradesOn(s, managers);
    findings.push(
      finding(
        s,
        WEBSOCKET_BUFFER_LIMIT_LOW,
        severityOf(upgrades),
        { kind: 'cluster', name: cluster.name },
        {
          limitBytes: cluster.bufferLimitBytes.value,
          limitSource: cluster.bufferLimitBytes.source,
          websocketRoutes: routes.length,
          upgradesTotal: upgrades,
        },
      ),
    );
  }
  for (const { listener, routes, managers } of webSocketListeners(s)) {
    if (!isLowLimit(listener.bufferLimitBytes.value)) continue;
    const upgrades = upgradesOn(s, managers);
    findings.push(
      finding(
        s,
        WEBSOCKET_BUFFER_LIMIT_LOW,
        severityOf(upgrades),
        { kind: 'listener', name: listener.name },
        {
          limitBytes: listener.bufferLimitBytes.value,
          limitSource: listener.bufferLimitBytes.source,
          websocketRoutes: routes.length,
          upgradesTotal: upgrades,
        },
      ),
    );
  }
  return findings;
}
