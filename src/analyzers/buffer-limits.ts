// Buffer limits where WebSockets are served. Envoy's default per_connection_buffer_limit_bytes is 1 MiB
// (api/envoy/config/cluster/v3/cluster.proto, listener/v3/listener.proto); Envoy Gateway writes 32768 on every
// cluster and listener unless BackendTrafficPolicy / ClientTrafficPolicy `connection.bufferLimit` says otherwise
// (envoyproxy/gateway internal/xds/translator/cluster.go, listener.go). A small limit makes flow control pause
// long-lived streams at the first burst a slow client cannot take.

import type { Finding, Severity } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { upgradesOn, webSocketClusters, webSocketListeners } from '../model/topology.ts';
import { type AnalyzerMeta, finding } from './analyzer.ts';

export const meta: AnalyzerMeta = {
  id: 'buffer-limits',
  title: 'Buffer limits below 1 MiB on WebSocket paths',
  reads: ['config', 'stats'],
  emits: ['websocket-buffer-limit-low'],
  docs: 'docs/analyzers/buffer-limits.md',
};

/** Limits below this are flagged on WebSocket paths. */
export const WEBSOCKET_MIN_BUFFER = 1_048_576;

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
      finding(s, 'websocket-buffer-limit-low', severityOf(upgrades), { kind: 'cluster', name: cluster.name }, {
        limitBytes: cluster.bufferLimitBytes.value,
        limitSource: cluster.bufferLimitBytes.source,
        websocketRoutes: routes.length,
        upgradesTotal: upgrades,
      }),
    );
  }
  for (const { listener, routes, managers } of webSocketListeners(s)) {
    if (!isLowLimit(listener.bufferLimitBytes.value)) continue;
    const upgrades = upgradesOn(s, managers);
    findings.push(
      finding(s, 'websocket-buffer-limit-low', severityOf(upgrades), { kind: 'listener', name: listener.name }, {
        limitBytes: listener.bufferLimitBytes.value,
        limitSource: listener.bufferLimitBytes.source,
        websocketRoutes: routes.length,
        upgradesTotal: upgrades,
      }),
    );
  }
  return findings;
}
