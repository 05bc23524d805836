// Circuit breakers reached by long-lived connections. Each WebSocket (an HTTP/1.1 upgrade) holds one upstream
// connection and one active request for its whole life, so a cluster's default thresholds (1024 connections,
// pending requests and requests: api/envoy/config/cluster/v3/circuit_breaker.proto) cap the number of concurrent
// WebSockets (envoy#20020). At the limit the gauges `circuit_breakers.<priority>.{cx_open, rq_open,
// rq_pending_open}` read 1, `upstream_cx_overflow` counts connections not opened and `upstream_rq_pending_overflow`
// requests failed with 503 `UO` (docs/root/intro/arch_overview/upstream/circuit_breaking.rst,
// docs/root/configuration/upstream/cluster_manager/cluster_stats.rst; envoy/upstream/resource_manager.h).
// Stat keys are folded (`circuit_breakers_default_cx_open`) whatever the format, including the priority label of
// Envoy Gateway >= 1.7's Prometheus output.

import type { Finding, Severity } from '../model/finding.ts';
import type { Cluster, Snapshot } from '../model/snapshot.ts';
import { delta, latestSample, stat, statKey } from '../model/stats-view.ts';
import { clusterNameOfStat, managersForCluster, webSocketClusters } from '../model/topology.ts';
import { type AnalyzerMeta, finding, ratio } from './analyzer.ts';

export const meta: AnalyzerMeta = {
  id: 'circuit-breakers',
  title: 'Circuit breakers open or close to their thresholds',
  reads: ['config', 'stats', 'stats-later'],
  emits: ['circuit-breaker-overflow', 'circuit-breaker-near-limit'],
  docs: 'docs/analyzers/circuit-breakers.md',
};

/** Share of a threshold in use from which a WebSocket cluster is reported as near its limit. */
export const NEAR_LIMIT_SHARE = 0.8;

const CX_OPEN = statKey('circuit_breakers.default.cx_open');
const RQ_OPEN = statKey('circuit_breakers.default.rq_open');
const RQ_PENDING_OPEN = statKey('circuit_breakers.default.rq_pending_open');

/** Sum of a per-connection-manager stat over the connection managers routing to a cluster. */
function upgradesActive(s: Snapshot, cluster: Cluster | undefined): number | undefined {
  if (!cluster) return undefined;
  let total: number | undefined;
  for (const prefix of new Set(managersForCluster(s, cluster.name).map((m) => m.connectionManager.statPrefix))) {
    const v = stat(s, 'http', prefix, 'downstream_cx_upgrades_active');
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
    const cxOverflow = get('upstream_cx_overflow');
    const rqPendingOverflow = get('upstream_rq_pending_overflow');
    const windowCx = delta(s, 'cluster', statName, 'upstream_cx_overflow');
    const windowRq = delta(s, 'cluster', statName, 'upstream_rq_pending_overflow');
    const activeConnections = get('upstream_cx_active');
    const activeRequests = get('upstream_rq_active');
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
        finding(s, 'circuit-breaker-overflow', severityOf(openNow, windowOverflows, overflows), { kind: 'cluster', name }, {
          cxOpen,
          rqOpen,
          rqPendingOpen,
          cxOverflow,
          rqPendingOverflow,
          windowCxOverflow: windowCx,
          windowRqPendingOverflow: windowRq,
          windowSeconds: windowOverflows !== undefined ? s.intervalSeconds : undefined,
          ...common,
        }),
      );
      continue;
    }
    // Not at the limit yet: a WebSocket cluster using most of a threshold is one busy evening away from it.
    if (!ws || !limits) continue;
    const cxShare = ratio(activeConnections, limits.maxConnections) ?? 0;
    const rqShare = ratio(activeRequests, limits.maxRequests) ?? 0;
    if (Math.max(cxShare, rqShare) < NEAR_LIMIT_SHARE) continue;
    findings.push(finding(s, 'circuit-breaker-near-limit', 'warning', { kind: 'cluster', name }, common));
  }
  return findings;
}
