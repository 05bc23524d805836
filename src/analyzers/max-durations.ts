// Maximum durations reached on the way of WebSocket-capable routes. `max_stream_duration` (HttpProtocolOptions on the
// connection manager or the cluster, or RouteAction.max_stream_duration) resets a stream "independent of any other
// timeouts" (envoyproxy/data-plane-api envoy/config/core/v3/protocol.proto), so it ends an upgraded session however
// busy it is: `http.<prefix>.downstream_rq_max_duration_reached` (source/common/http/conn_manager_impl.cc
// ActiveStream::onStreamMaxDurationReached) or `cluster.<name>.upstream_rq_max_duration_reached`
// (source/common/router/upstream_request.cc onStreamMaxDurationReached). `max_connection_duration` only starts a drain:
// the connection manager closes after `drain_timeout` once no stream is active
// (ConnectionManagerImpl::onConnectionDurationTimeout, startDrainSequence, checkForDeferredClose) and an upstream
// pool closes a draining connection when its last stream ends (source/common/conn_pool/conn_pool_base.cc
// ActiveClient::onConnectionDurationTimeout); `*_cx_max_duration_reached` count those. The lab measured both on Envoy
// 1.36.2 and 1.40.0 (lab/scenarios/connection-max-duration.ts): max_stream_duration ends an upgraded session at that
// age wherever it is set, max_connection_duration never does while the session is open. Connection `idle_timeout`
// fires only without active streams (protocol.proto), so it cannot end an open session and is not judged here.

import { findingType } from '../model/catalogue-entry.ts';
import { CLUSTER_STATS, type ClusterStat, HTTP_STATS, type HttpStat } from '../model/envoy-stats.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { delta, stat, type StatScope } from '../model/stats-view.ts';
import { upgradesOn, webSocketClusters, webSocketManagers } from '../model/topology.ts';
import { defineAnalyzer, finding } from './analyzer.ts';

/** Evidence of streams or connections ended at their maximum duration, on a cluster or a connection manager. */
type MaxDurationReached = {
  cxMaxDurationReached?: number;
  rqMaxDurationReached?: number;
  windowCxMaxDurationReached?: number;
  windowRqMaxDurationReached?: number;
  windowSeconds?: number;
  maxConnectionDurationMs?: number;
  maxStreamDurationMs?: number;
  upgradesTotal?: number;
} & ({ side: 'upstream' } | { side: 'downstream'; routeMaxStreamDurationMs?: number });

/** Maximum stream or connection durations reached where WebSockets are served. */
const MAX_DURATION_REACHED = findingType<MaxDurationReached>()(
  'max-duration-reached',
  'Maximum stream or connection duration reached where WebSockets are served',
  '{rqMaxDurationReached} {rqMaxDurationReached|stream|streams} reset at their maximum duration and {cxMaxDurationReached} {cxMaxDurationReached|connection|connections} drained at max_connection_duration ({side}) where WebSocket-capable routes are served',
);

const CLUSTER_FAMILY = [CLUSTER_STATS.cxMaxDurationReached, CLUSTER_STATS.rqMaxDurationReached] as const;
const HTTP_FAMILY = [HTTP_STATS.cxMaxDurationReached, HTTP_STATS.rqMaxDurationReached] as const;

export const meta = defineAnalyzer({
  id: 'max-durations',
  title: 'Maximum stream and connection durations reached where WebSockets are served',
  reads: ['config', 'stats', 'stats-later'],
  stats: { cluster: CLUSTER_FAMILY, http: [...HTTP_FAMILY, HTTP_STATS.cxUpgradesTotal] },
  families: [{ family: 'max-duration', rootCauses: ['connection-max-duration'], cluster: CLUSTER_FAMILY, http: HTTP_FAMILY }],
  findings: [MAX_DURATION_REACHED],
});

interface Counts {
  cx?: number;
  rq?: number;
  windowCx?: number;
  windowRq?: number;
}

function counts(s: Snapshot, scope: StatScope, entity: string, cx: ClusterStat | HttpStat, rq: ClusterStat | HttpStat): Counts {
  const out: Counts = {};
  const a = stat(s, scope, entity, cx);
  const b = stat(s, scope, entity, rq);
  const wa = delta(s, scope, entity, cx);
  const wb = delta(s, scope, entity, rq);
  if (a !== undefined) out.cx = a;
  if (b !== undefined) out.rq = b;
  if (wa !== undefined) out.windowCx = wa;
  if (wb !== undefined) out.windowRq = wb;
  return out;
}

/**
 * Severity: streams reset at their maximum duration during the window (or in one sample) warn; connections that only
 * reached max_connection_duration drain without closing open sessions, and totals that did not move are history.
 */
function severityOf(c: Counts, hasWindow: boolean): Severity {
  const rq = hasWindow ? (c.windowRq ?? 0) : (c.rq ?? 0);
  return rq > 0 ? 'warning' : 'info';
}

function reached(c: Counts): boolean {
  return (c.cx ?? 0) > 0 || (c.rq ?? 0) > 0;
}

export function analyze(s: Snapshot): Finding[] {
  const findings: Finding[] = [];
  const hasWindow = s.stats !== undefined && s.statsLater !== undefined;
  for (const { cluster, managers } of webSocketClusters(s)) {
    const c = counts(s, 'cluster', cluster.statName, CLUSTER_STATS.cxMaxDurationReached, CLUSTER_STATS.rqMaxDurationReached);
    if (!reached(c)) continue;
    findings.push(
      finding(
        s,
        MAX_DURATION_REACHED,
        severityOf(c, hasWindow),
        { kind: 'cluster', name: cluster.name },
        {
          side: 'upstream',
          cxMaxDurationReached: c.cx,
          rqMaxDurationReached: c.rq,
          windowCxMaxDurationReached: c.windowCx,
          windowRqMaxDurationReached: c.windowRq,
          windowSeconds: hasWindow ? s.intervalSeconds : undefined,
          maxConnectionDurationMs: cluster.maxConnectionDurationMs,
          maxStreamDurationMs: cluster.maxStreamDurationMs,
          upgradesTotal: upgradesOn(s, managers),
        },
      ),
    );
  }
  for (const [prefix, { connectionManager: cm, routes }] of webSocketManagers(s)) {
    const c = counts(s, 'http', prefix, HTTP_STATS.cxMaxDurationReached, HTTP_STATS.rqMaxDurationReached);
    if (!reached(c)) continue;
    const routeLimits = routes.map((r) => r.maxStreamDurationMs).filter((v): v is number => v !== undefined && v > 0);
    findings.push(
      finding(
        s,
        MAX_DURATION_REACHED,
        severityOf(c, hasWindow),
        { kind: 'connection-manager', name: prefix },
        {
          side: 'downstream',
          cxMaxDurationReached: c.cx,
          rqMaxDurationReached: c.rq,
          windowCxMaxDurationReached: c.windowCx,
          windowRqMaxDurationReached: c.windowRq,
          windowSeconds: hasWindow ? s.intervalSeconds : undefined,
          maxConnectionDurationMs: cm.maxConnectionDurationMs,
          maxStreamDurationMs: cm.maxStreamDurationMs,
          routeMaxStreamDurationMs: routeLimits.length > 0 ? Math.min(...routeLimits) : undefined,
          upgradesTotal: stat(s, 'http', prefix, HTTP_STATS.cxUpgradesTotal),
        },
      ),
    );
  }
  return findings;
}
