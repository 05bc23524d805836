// Flow control: reads paused and resumed on upstream connections (per cluster) and client connections
// (per connection manager). paused - resumed is an upper bound on connections paused now: the counters are
// cumulative, a stream closed while paused never gets its resume, and read-disable is reference counted.
// Upstream pauses come from the downstream write buffer crossing its high watermark (the listener's
// per_connection_buffer_limit_bytes for HTTP/1.1 clients, the stream window for HTTP/2 ones: docs/lab.md):
// envoy source/common/router/upstream_codec_filter.cc (UpstreamCodecFilter::onAboveWriteBufferHighWatermark),
// source/common/router/upstream_request.cc;
// stats: docs/root/configuration/upstream/cluster_manager/cluster_stats.rst, http_conn_man/stats.rst.

import { findingType, type FindingType } from '../model/catalogue-entry.ts';
import { CLUSTER_STATS, type ClusterStat, HTTP_STATS, type HttpStat } from '../model/envoy-stats.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { delta, latestSample, stat, type StatScope, windowSeconds } from '../model/stats-view.ts';
import { clusterNameOfStat, isControlPlaneCluster } from '../model/topology.ts';
import { defineAnalyzer, finding } from './analyzer.ts';

/** Evidence of reads paused more often than resumed on one side's connections. */
interface ReadsPaused {
  paused: number;
  resumed: number;
  outstanding: number;
  pausedNowUpperBound: number;
  activeConnections?: number;
  windowPaused?: number;
  windowResumed?: number;
  windowSeconds?: number;
}

/** Reads from a cluster's upstream connections paused and not all resumed. */
const UPSTREAM_READS_PAUSED = findingType<ReadsPaused>()(
  'upstream-reads-paused',
  'Upstream reads paused by flow control',
  'reads from upstream paused {paused} {paused|time|times}, resumed {resumed}: up to {pausedNowUpperBound} {pausedNowUpperBound|connection|connections} may be paused now',
);

/** Reads from a connection manager's client connections paused and not all resumed. */
const DOWNSTREAM_READS_PAUSED = findingType<ReadsPaused>()(
  'downstream-reads-paused',
  'Downstream reads paused by flow control',
  'reads from clients paused {paused} {paused|time|times}, resumed {resumed}: up to {pausedNowUpperBound} {pausedNowUpperBound|connection|connections} may be paused now',
);

const CLUSTER_FAMILY = [CLUSTER_STATS.flowControlPausedReading, CLUSTER_STATS.flowControlResumedReading] as const;
const HTTP_FAMILY = [HTTP_STATS.flowControlPausedReading, HTTP_STATS.flowControlResumedReading] as const;

export const meta = defineAnalyzer({
  id: 'flow-control',
  title: 'Paused reads that were never resumed',
  reads: ['stats', 'stats-later'],
  stats: { cluster: [...CLUSTER_FAMILY, CLUSTER_STATS.cxActive], http: [...HTTP_FAMILY, HTTP_STATS.cxActive] },
  families: [{ family: 'flow-control', rootCauses: ['flow-control-stall'], cluster: CLUSTER_FAMILY, http: HTTP_FAMILY }],
  findings: [UPSTREAM_READS_PAUSED, DOWNSTREAM_READS_PAUSED],
});

interface Side {
  scope: StatScope;
  type: FindingType<ReadsPaused>;
  entityKind: 'cluster' | 'connection-manager';
  paused: ClusterStat | HttpStat;
  resumed: ClusterStat | HttpStat;
  active: ClusterStat | HttpStat;
}

const SIDES: Side[] = [
  {
    scope: 'cluster',
    type: UPSTREAM_READS_PAUSED,
    entityKind: 'cluster',
    paused: CLUSTER_STATS.flowControlPausedReading,
    resumed: CLUSTER_STATS.flowControlResumedReading,
    active: CLUSTER_STATS.cxActive,
  },
  {
    scope: 'http',
    type: DOWNSTREAM_READS_PAUSED,
    entityKind: 'connection-manager',
    paused: HTTP_STATS.flowControlPausedReading,
    resumed: HTTP_STATS.flowControlResumedReading,
    active: HTTP_STATS.cxActive,
  },
];

/** The entities of a side with stats; control-plane clusters (xDS, SDS gRPC streams) serve no client and are left out. */
function entityNames(s: Snapshot, scope: StatScope): string[] {
  const sample = latestSample(s);
  if (!sample) return [];
  if (scope !== 'cluster') return [...sample.connectionManagers.keys()];
  return [...sample.clusters.keys()].filter((name) => !isControlPlaneCluster(s, name));
}

/** Pauses left unresumed during a window from which the stall is ongoing rather than noise. */
const UNMATCHED_IN_WINDOW = 3;

/**
 * Pauses in a window from which on the connections are cycling through flow control, not stalled: a busy stream to a
 * client that reads pauses and resumes all the time (the lab measured 2,272 pauses in a few seconds on four healthy
 * WebSockets, every one resumed), so a sample taken mid-cycle finds a few connections paused.
 */
const CYCLING = { minPaused: 20, resumedShare: 0.8 };

/** Severity: unmatched pauses during the window are the strongest sign; stale totals alone are weak. */
function severityOf(windowPaused: number | undefined, windowResumed: number | undefined): Severity {
  if (windowPaused === undefined || windowResumed === undefined) return 'warning';
  if (windowPaused >= CYCLING.minPaused && windowResumed >= windowPaused * CYCLING.resumedShare) return 'info';
  if (windowPaused - windowResumed >= UNMATCHED_IN_WINDOW) return 'error';
  if (windowPaused > 0) return 'warning';
  return 'info';
}

export function analyze(s: Snapshot): Finding[] {
  const findings: Finding[] = [];
  for (const side of SIDES) {
    for (const name of entityNames(s, side.scope)) {
      const paused = stat(s, side.scope, name, side.paused);
      const resumed = stat(s, side.scope, name, side.resumed);
      if (paused === undefined || resumed === undefined) continue;
      const outstanding = paused - resumed;
      const windowPaused = delta(s, side.scope, name, side.paused);
      const windowResumed = delta(s, side.scope, name, side.resumed);
      const unmatchedInWindow = windowPaused !== undefined && windowResumed !== undefined && windowPaused > windowResumed;
      if (outstanding <= 0 && !unmatchedInWindow) continue;
      const active = stat(s, side.scope, name, side.active);
      const upper = active === undefined ? Math.max(outstanding, 0) : Math.min(Math.max(outstanding, 0), active);
      findings.push(
        finding(
          s,
          side.type,
          severityOf(windowPaused, windowResumed),
          { kind: side.entityKind, name: side.scope === 'cluster' ? clusterNameOfStat(s, name) : name },
          {
            paused,
            resumed,
            outstanding,
            pausedNowUpperBound: upper,
            activeConnections: active,
            windowPaused,
            windowResumed,
            windowSeconds: windowSeconds(s, windowPaused),
          },
        ),
      );
    }
  }
  return findings;
}
