// Flow control: reads paused and resumed on upstream connections (per cluster) and client connections
// (per connection manager). paused - resumed is an upper bound on connections paused now: the counters are
// cumulative, a stream closed while paused never gets its resume, and read-disable is reference counted.
// Upstream pauses come from the downstream write buffer crossing its high watermark (the listener's
// per_connection_buffer_limit_bytes for HTTP/1.1 clients, the stream window for HTTP/2 ones: docs/lab.md):
// envoy source/common/router/upstream_codec_filter.cc (UpstreamCodecFilter::onAboveWriteBufferHighWatermark),
// source/common/router/upstream_request.cc;
// stats: docs/root/configuration/upstream/cluster_manager/cluster_stats.rst, http_conn_man/stats.rst.

import type { Finding, Severity } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { delta, latestSample, stat, type StatScope } from '../model/stats-view.ts';
import { clusterNameOfStat, isControlPlaneCluster } from '../model/topology.ts';
import { type Analyzer, type AnalyzerMeta, finding } from './analyzer.ts';

export const meta: AnalyzerMeta = {
  id: 'flow-control',
  title: 'Paused reads that were never resumed',
  reads: ['stats', 'stats-later'],
  emits: ['upstream-reads-paused', 'downstream-reads-paused'],
  docs: 'docs/analyzers/flow-control.md',
};

interface Side {
  scope: StatScope;
  code: string;
  entityKind: 'cluster' | 'connection-manager';
  paused: string;
  resumed: string;
  active: string;
}

const SIDES: Side[] = [
  {
    scope: 'cluster',
    code: 'upstream-reads-paused',
    entityKind: 'cluster',
    paused: 'upstream_flow_control_paused_reading_total',
    resumed: 'upstream_flow_control_resumed_reading_total',
    active: 'upstream_cx_active',
  },
  {
    scope: 'http',
    code: 'downstream-reads-paused',
    entityKind: 'connection-manager',
    paused: 'downstream_flow_control_paused_reading_total',
    resumed: 'downstream_flow_control_resumed_reading_total',
    active: 'downstream_cx_active',
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
        finding(s, side.code, severityOf(windowPaused, windowResumed), { kind: side.entityKind, name: side.scope === 'cluster' ? clusterNameOfStat(s, name) : name }, {
          paused,
          resumed,
          outstanding,
          pausedNowUpperBound: upper,
          activeConnections: active,
          windowPaused,
          windowResumed,
          windowSeconds: windowPaused !== undefined ? s.intervalSeconds : undefined,
        }),
      );
    }
  }
  return findings;
}
