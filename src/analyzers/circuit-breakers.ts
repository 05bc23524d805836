// Circuit breakers reached by long-lived connections. Each WebSocket (an HTTP/1.1 upgrade) holds one upstream
// connection and one active request for its whole life, so a cluster's default thresholds (1024 connections,
// pending requests and requests: api/envoy/config/cluster/v3/circuit_breaker.proto) cap the number of concurrent
// WebSockets (envoy#20020). At the limit the gauges `circuit_breakers.<priority>.{cx_open, rq_open,
// rq_pending_open}` read 1, `upstream_cx_overflow` counts connections not opened and `upstream_rq_pending_overflow`
// requests failed with 503 `UO` (docs/root/intro/arch_overview/upstream/circuit_breaking.rst,
// docs/root/configuration/upstream/cluster_manager/cluster_stats.rst; envoy/upstream/resource_manager.h).
// Stat keys are folded (`circuit_breakers_default_cx_open`) whatever the format, including the priority label of
// Envoy Gateway >= 1.7's Prometheus output.

import { findingType } from '../model/catalogue-entry.ts';
import { CLUSTER_STATS, HTTP_STATS } from '../model/envoy-stats.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Cluster, Snapshot } from '../model/snapshot.ts';
import { delta, latestSample, stat, statKey, windowSeconds } from '../model/stats-view.ts';
import { clusterNameOfStat, managersForCluster, webSocketClusters } from '../model/topology.ts';
import { defineAnalyzer, finding, ratio } from './analyzer.ts';

/** What a cluster holds against its default-priority thresholds, and the WebSockets behind it. */
interface CircuitBreakerUse {
  activeConnections?: number;
  maxConnections?: number;
  connectionShare?: number;
  activeRequests?: number;
  maxRequests?: number;
  requestShare?: number;
  maxPendingRequests?: number;
  websocketRoutes?: number;
  upgradesActive?: number;
}

/** Evidence of circuit breakers open now or overflows counted. */
interface CircuitBreakerOverflow extends CircuitBreakerUse {
  cxOpen?: number;
  rqOpen?: number;
  rqPendingOpen?: number;
  cxOverflow?: number;
  rqPendingOverflow?: number;
  windowCxOverflow?: number;
  windowRqPendingOverflow?: number;
  windowSeconds?: number;
}

/** Evidence of a WebSocket cluster close to its thresholds: both are known. */
type CircuitBreakerNearLimit = CircuitBreakerUse &
  Required<Pick<CircuitBreakerUse, 'maxConnections' | 'maxRequests' | 'maxPendingRequests' | 'websocketRoutes'>>;

/** Circuit breakers at their limit now, or connections and requests refused by them. */
const CIRCUIT_BREAKER_OVERFLOW = findingType<CircuitBreakerOverflow>()(
  'circuit-breaker-overflow',
  'Circuit breakers open or overflowing',
  'circuit breakers at the limit (cx_open {cxOpen}, rq_open {rqOpen}, rq_pending_open {rqPendingOpen}); {cxOverflow} {cxOverflow|connection overflow|connection overflows} and {rqPendingOverflow} {rqPendingOverflow|request|requests} refused (UO); {activeConnections} of {maxConnections} {maxConnections|connection|connections} and {activeRequests} of {maxRequests} {maxRequests|request|requests} in use',
);

/** A cluster behind WebSocket-capable routes using most of a circuit-breaker threshold. */
const CIRCUIT_BREAKER_NEAR_LIMIT = findingType<CircuitBreakerNearLimit>()(
  'circuit-breaker-near-limit',
  'Circuit breakers close to their thresholds where WebSockets are served',
  '{activeConnections} of {maxConnections} {maxConnections|connection|connections} ({connectionShare}) and {activeRequests} of {maxRequests} {maxRequests|request|requests} ({requestShare}) in use behind WebSocket-capable routes ({upgradesActive} {upgradesActive|upgraded connection|upgraded connections} active)',
);

const FAMILY = [
  CLUSTER_STATS.circuitBreakerCxOpen,
  CLUSTER_STATS.circuitBreakerRqOpen,
  CLUSTER_STATS.circuitBreakerRqPendingOpen,
  CLUSTER_STATS.cxOverflow,
  CLUSTER_STATS.rqPendingOverflow,
  CLUSTER_STATS.rqActive,
] as const;

export const meta = defineAnalyzer({
  id: 'circuit-breakers',
  title: 'Circuit breakers open or close to their thresholds',
  reads: ['config', 'stats', 'stats-later'],
  stats: { cluster: [...FAMILY, CLUSTER_STATS.cxActive], http: [HTTP_STATS.cxUpgradesActive] },
  families: [{ family: 'circuit-breaker', rootCauses: ['circuit-breaker-saturation'], cluster: FAMILY, http: [] }],
  findings: [CIRCUIT_BREAKER_OVERFLOW, CIRCUIT_BREAKER_NEAR_LIMIT],
});

/** Share of a threshold in use from which a WebSocket cluster is reported as near its limit. */
const NEAR_LIMIT_SHARE = 0.8;

const CX_OPEN = statKey(CLUSTER_STATS.circuitBreakerCxOpen);
const RQ_OPEN = statKey(CLUSTER_STATS.circuitBreakerRqOpen);
const RQ_PENDING_OPEN = statKey(CLUSTER_STATS.circuitBreakerRqPendingOpen);

/** Sum of a per-connection-manager stat over the connection managers routing to a cluster. */
function upgradesActive(s: Snapshot, cluster: Cluster | undefined): number | undefined {
  if (!cluster) return undefined;
  let total: number | undefined;
  for (const prefix of new Set(managersForCluster(s, cluster.name).map((m) => m.connectionManager.statPrefix))) {
    const v = stat(s, 'http', prefix, HTTP_STATS.cxUpgradesActive);
    if (v !== undefined) total = (total ?? 0) + v;
  }
  return total;
}

/** error: at the limit now or overflowing during the window; warning: overflows with no window to date them; info: history. */
function severityOf(openNow: boolean, windowOverflows: number | undefined, overflows: number): Severity {
  if (openNow || (windowOverflows !== undefined && windowOverflows > 0)) return 'error';
  if (windowOverflows === undefined && overflows > 0) return 'warning';
  return 'info';
}

export function analyze(s: Snapshot): Finding[] {
  const sample = latestSample(s);
  if (!sample) return [];
  const findings: Finding[] = [];
  const webSocket = new Map(webSocketClusters(s).map((w) => [w.cluster.statName, w]));
  for (const statName of sample.clusters.keys()) {
    const name = clusterNameOfStat(s, statName);
    const cluster = s.clusters.get(name);
    const limits = cluster?.circuitBreakers.find((b) => b.priority === 'default');
    const get = (k: string) => stat(s, 'cluster', statName, k);
    const cxOpen = get(CX_OPEN);
    const rqOpen = get(RQ_OPEN);
    const rqPendingOpen = get(RQ_PENDING_OPEN);
    const cxOverflow = get(CLUSTER_STATS.cxOverflow);
    const rqPendingOverflow = get(CLUSTER_STATS.rqPendingOverflow);
    const windowCx = delta(s, 'cluster', statName, CLUSTER_STATS.cxOverflow);
    const windowRq = delta(s, 'cluster', statName, CLUSTER_STATS.rqPendingOverflow);
    const activeConnections = get(CLUSTER_STATS.cxActive);
    const activeRequests = get(CLUSTER_STATS.rqActive);
    const ws = webSocket.get(statName);
    const openNow = (cxOpen ?? 0) >= 1 || (rqOpen ?? 0) >= 1 || (rqPendingOpen ?? 0) >= 1;
    const overflows = (cxOverflow ?? 0) + (rqPendingOverflow ?? 0);
    const windowOverflows = windowCx === undefined && windowRq === undefined ? undefined : (windowCx ?? 0) + (windowRq ?? 0);
    const common = {
      activeConnections,
      maxConnections: limits?.maxConnections,
      connectionShare: ratio(activeConnections, limits?.maxConnections) ?? undefined,
      activeRequests,
      maxRequests: limits?.maxRequests,
      requestShare: ratio(activeRequests, limits?.maxRequests) ?? undefined,
      maxPendingRequests: limits?.maxPendingRequests,
      websocketRoutes: ws ? ws.routes.length : undefined,
      upgradesActive: upgradesActive(s, cluster),
    };
    if (openNow || overflows > 0) {
      findings.push(
        finding(
          s,
          CIRCUIT_BREAKER_OVERFLOW,
          severityOf(openNow, windowOverflows, overflows),
          { kind: 'cluster', name },
          {
            cxOpen,
            rqOpen,
            rqPendingOpen,
            cxOverflow,
            rqPendingOverflow,
            windowCxOverflow: windowCx,
            windowRqPendingOverflow: windowRq,
            windowSeconds: windowSeconds(s, windowOverflows),
            ...common,
          },
        ),
      );
      continue;
    }
    // Not at the limit yet: a WebSocket cluster using most of a threshold is one busy evening away from it.
    if (!ws || !limits) continue;
    const cxShare = ratio(activeConnections, limits.maxConnections) ?? 0;
    const rqShare = ratio(activeRequests, limits.maxRequests) ?? 0;
    if (Math.max(cxShare, rqShare) < NEAR_LIMIT_SHARE) continue;
    // The thresholds and the WebSocket routes are known here: the same values as in `common`, narrowed.
    const thresholds = { maxConnections: limits.maxConnections, maxRequests: limits.maxRequests, maxPendingRequests: limits.maxPendingRequests };
    findings.push(
      finding(s, CIRCUIT_BREAKER_NEAR_LIMIT, 'warning', { kind: 'cluster', name }, { ...common, ...thresholds, websocketRoutes: ws.routes.length }),
    );
  }
  return findings;
}
