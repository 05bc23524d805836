// Bytes buffered per connection against the effective buffer limit. The `*_cx_{rx,tx}_bytes_buffered`
// gauges sum over all connections, so the average hides a few full buffers among many idle connections;
// the number of full buffers (buffered / limit) is compared with the paused-connection bound instead.
// Upstream: cluster per_connection_buffer_limit_bytes (api/envoy/config/cluster/v3/cluster.proto);
// downstream: listener per_connection_buffer_limit_bytes (api/envoy/config/listener/v3/listener.proto).

import { connectionManagers, isControlPlaneCluster } from '../model/topology.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { stat } from '../model/stats-view.ts';
import { type Analyzer, type AnalyzerMeta, finding, ratio } from './analyzer.ts';

export const meta: AnalyzerMeta = {
  id: 'buffered-bytes',
  title: 'Bytes buffered per connection against the buffer limit',
  reads: ['config', 'stats'],
  emits: ['upstream-bytes-buffered', 'downstream-bytes-buffered'],
  docs: 'docs/analyzers/buffered-bytes.md',
};

/** At least this many full buffers' worth of bytes is worth reporting. */
const FULL_BUFFERS_REPORTED = 1;

function severityOf(fullBuffers: number, perConnectionShare: number | null): Severity {
  if (perConnectionShare !== null && perConnectionShare >= 1) return 'error';
  return fullBuffers >= 4 ? 'warning' : 'info';
}

function assess(
  s: Snapshot,
  code: string,
  entity: { kind: 'cluster' | 'connection-manager'; name: string },
  rx: number | undefined,
  tx: number | undefined,
  active: number | undefined,
  limit: { value: number; source: string },
): Finding | undefined {
  if ((rx === undefined && tx === undefined) || limit.value <= 0) return undefined;
  const buffered = (rx ?? 0) + (tx ?? 0);
  const fullBuffers = Math.round((buffered / limit.value) * 100) / 100;
  if (fullBuffers < FULL_BUFFERS_REPORTED) return undefined;
  const perConnection = active !== undefined && active > 0 ? Math.round(buffered / active) : null;
  const perConnectionShare = perConnection === null ? null : ratio(perConnection, limit.value);
  return finding(s, code, severityOf(fullBuffers, perConnectionShare), entity, {
    bufferedBytes: buffered,
    rxBufferedBytes: rx,
    txBufferedBytes: tx,
    activeConnections: active,
    bytesPerConnection: perConnection,
    limitBytes: limit.value,
    limitSource: limit.source,
    fullBuffers,
    perConnectionShareOfLimit: perConnectionShare,
  });
}

export function analyze(s: Snapshot): Finding[] {
  const findings: Finding[] = [];
  for (const cluster of s.clusters.values()) {
    // The control plane's gRPC streams (xDS, SDS) buffer what they like: no client waits on them.
    if (isControlPlaneCluster(s, cluster.name)) continue;
    const name = cluster.statName;
    const f = assess(
      s,
      'upstream-bytes-buffered',
      { kind: 'cluster', name: cluster.name },
      stat(s, 'cluster', name, 'upstream_cx_rx_bytes_buffered'),
      stat(s, 'cluster', name, 'upstream_cx_tx_bytes_buffered'),
      stat(s, 'cluster', name, 'upstream_cx_active'),
      cluster.bufferLimitBytes,
    );
    if (f) findings.push(f);
  }
  const seen = new Set<string>();
  for (const { listener, connectionManager } of connectionManagers(s)) {
    const prefix = connectionManager.statPrefix;
    if (seen.has(prefix)) continue;
    seen.add(prefix);
    const f = assess(
      s,
      'downstream-bytes-buffered',
      { kind: 'connection-manager', name: prefix },
      stat(s, 'http', prefix, 'downstream_cx_rx_bytes_buffered'),
      stat(s, 'http', prefix, 'downstream_cx_tx_bytes_buffered'),
      stat(s, 'http', prefix, 'downstream_cx_active'),
      listener.bufferLimitBytes,
    );
    if (f) findings.push(f);
  }
  return findings;
}
