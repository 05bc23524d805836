// Bytes buffered per connection against the effective buffer limit. The `*_cx_{rx,tx}_bytes_buffered`
// gauges sum over all connections, so the average hides a few full buffers among many idle connections;
// the number of full buffers (buffered / limit) is compared with the paused-connection bound instead.
// Upstream: cluster per_connection_buffer_limit_bytes (api/envoy/config/cluster/v3/cluster.proto);
// downstream: listener per_connection_buffer_limit_bytes (api/envoy/config/listener/v3/listener.proto).

import { findingType, type FindingType } from '../model/catalogue-entry.ts';
import { CLUSTER_STATS, HTTP_STATS } from '../model/envoy-stats.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Snapshot, Sourced } from '../model/snapshot.ts';
import { stat } from '../model/stats-view.ts';
import { connectionManagers, isControlPlaneCluster } from '../model/topology.ts';
import { defineAnalyzer, finding, ratio } from './analyzer.ts';

/** Evidence of bytes buffered on one side's connections, against the buffer limit. */
interface BytesBuffered {
  bufferedBytes: number;
  rxBufferedBytes?: number;
  txBufferedBytes?: number;
  activeConnections?: number;
  bytesPerConnection: number | null;
  limitBytes: number;
  limitSource: Sourced<number>['source'];
  fullBuffers: number;
  perConnectionShareOfLimit: number | null;
}

/** Both sides' message: the bytes, the connections they are spread over, and how many full buffers they make. */
const BUFFERED_MESSAGE =
  '{bufferedBytes} buffered over {activeConnections} {activeConnections|connection|connections}, {fullBuffers} {fullBuffers|full buffer|full buffers} of {limitBytes}';

/** At least a full buffer's worth of bytes buffered on a cluster's upstream connections. */
const UPSTREAM_BYTES_BUFFERED = findingType<BytesBuffered>()('upstream-bytes-buffered', 'Bytes buffered on upstream connections', BUFFERED_MESSAGE);

/** At least a full buffer's worth of bytes buffered on a connection manager's client connections. */
const DOWNSTREAM_BYTES_BUFFERED = findingType<BytesBuffered>()('downstream-bytes-buffered', 'Bytes buffered on client connections', BUFFERED_MESSAGE);

const CLUSTER_READS = [CLUSTER_STATS.cxRxBytesBuffered, CLUSTER_STATS.cxTxBytesBuffered, CLUSTER_STATS.cxActive] as const;
const HTTP_READS = [HTTP_STATS.cxRxBytesBuffered, HTTP_STATS.cxTxBytesBuffered, HTTP_STATS.cxActive] as const;

export const meta = defineAnalyzer({
  id: 'buffered-bytes',
  title: 'Bytes buffered per connection against the buffer limit',
  reads: ['config', 'stats'],
  stats: { cluster: CLUSTER_READS, http: HTTP_READS },
  families: [{ family: 'buffered-bytes', rootCauses: ['flow-control-stall'], cluster: CLUSTER_READS, http: HTTP_READS }],
  findings: [UPSTREAM_BYTES_BUFFERED, DOWNSTREAM_BYTES_BUFFERED],
});

/** At least this many full buffers' worth of bytes is worth reporting. */
const FULL_BUFFERS_REPORTED = 1;

function severityOf(fullBuffers: number, perConnectionShare: number | null): Severity {
  if (perConnectionShare !== null && perConnectionShare >= 1) return 'error';
  return fullBuffers >= 4 ? 'warning' : 'info';
}

function assess(
  s: Snapshot,
  type: FindingType<BytesBuffered>,
  entity: { kind: 'cluster' | 'connection-manager'; name: string },
  rx: number | undefined,
  tx: number | undefined,
  active: number | undefined,
  limit: Sourced<number>,
): Finding | undefined {
  if ((rx === undefined && tx === undefined) || limit.value <= 0) return undefined;
  const buffered = (rx ?? 0) + (tx ?? 0);
  const fullBuffers = Math.round((buffered / limit.value) * 100) / 100;
  if (fullBuffers < FULL_BUFFERS_REPORTED) return undefined;
  const perConnection = active !== undefined && active > 0 ? Math.round(buffered / active) : null;
  const perConnectionShare = perConnection === null ? null : ratio(perConnection, limit.value);
  return finding(s, type, severityOf(fullBuffers, perConnectionShare), entity, {
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
      UPSTREAM_BYTES_BUFFERED,
      { kind: 'cluster', name: cluster.name },
      stat(s, 'cluster', name, CLUSTER_STATS.cxRxBytesBuffered),
      stat(s, 'cluster', name, CLUSTER_STATS.cxTxBytesBuffered),
      stat(s, 'cluster', name, CLUSTER_STATS.cxActive),
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
      DOWNSTREAM_BYTES_BUFFERED,
      { kind: 'connection-manager', name: prefix },
      stat(s, 'http', prefix, HTTP_STATS.cxRxBytesBuffered),
      stat(s, 'http', prefix, HTTP_STATS.cxTxBytesBuffered),
      stat(s, 'http', prefix, HTTP_STATS.cxActive),
      listener.bufferLimitBytes,
    );
    if (f) findings.push(f);
  }
  return findings;
}
