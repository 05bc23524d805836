// circuit-breaker-saturation: long-lived connections use up a cluster's circuit-breaker thresholds. Each
// WebSocket holds one upstream connection and one request for its whole life, so with Envoy's defaults (1024
// connections, pending requests and requests: api/envoy/config/cluster/v3/circuit_breaker.proto) the 1025th
// concurrent WebSocket is queued, then refused with 503 `UO` (envoy#20020;
// docs/root/intro/arch_overview/upstream/circuit_breaking.rst). Evidence, strongest first: a breaker open now or
// overflows during the window, active connections or requests at the threshold, upgraded connections holding them.
// Envoy Gateway: BackendTrafficPolicy `circuitBreaker`; Istio: DestinationRule `connectionPool`.

import { explanationType } from '../../model/catalogue-entry.ts';
import { CLUSTER_STATS } from '../../model/envoy-stats.ts';
import type { EvidenceValue, Explanation, Finding, FixChange, HypothesisCheck } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { managersForCluster } from '../../model/topology.ts';
import { longLivedStreamChecks } from '../hypotheses.ts';
import { type Diagnosed, defineRootCause, explain, scoring } from '../root-cause.ts';

/** Explanation `circuit-breaker-open-now`. */
const CIRCUIT_BREAKER_OPEN_NOW = explanationType<{ cxOpen: EvidenceValue; rqOpen: EvidenceValue; rqPendingOpen: EvidenceValue }>()(
  'circuit-breaker-open-now',
  'circuit breakers open at capture time (cx_open {cxOpen}, rq_open {rqOpen}, rq_pending_open {rqPendingOpen}): new requests to the cluster queue until a connection closes or their client gives up, and past max_pending_requests fail at once with 503 UO',
);

/** Explanation `overflows-in-window`. */
const OVERFLOWS_IN_WINDOW = explanationType<{ windowCxOverflow: EvidenceValue; windowRqPendingOverflow: EvidenceValue; windowSeconds: EvidenceValue }>()(
  'overflows-in-window',
  '{windowCxOverflow} {windowCxOverflow|connection overflow|connection overflows} and {windowRqPendingOverflow} {windowRqPendingOverflow|refused request|refused requests} in {windowSeconds}: the limit is being hit now',
);

/** Explanation `active-at-threshold`. */
const ACTIVE_AT_THRESHOLD = explanationType<{ active: EvidenceValue; kind: EvidenceValue; threshold: EvidenceValue }>()(
  'active-at-threshold',
  '{active} active {kind} against a threshold of {threshold}: every new WebSocket waits for one to close',
);

/** Explanation `websockets-hold-connections`. */
const WEBSOCKETS_HOLD_CONNECTIONS = explanationType<{ upgradesActive: EvidenceValue; activeConnections: EvidenceValue; maxConnections: EvidenceValue }>()(
  'websockets-hold-connections',
  '{upgradesActive} {upgradesActive|upgraded connection is|upgraded connections are} open and each holds an upstream connection and a request for its whole life: {activeConnections} of {maxConnections} {maxConnections|connection|connections} in use',
);

/** Share of a threshold in use that counts as "at the threshold". */
const AT_LIMIT_SHARE = 0.95;

function num(f: Finding, key: string): number | undefined {
  const v = f.evidence[key];
  return typeof v === 'number' ? v : undefined;
}

/** A threshold to propose: the next power of two at or above four times the larger of the current threshold and what is in use. */
export function proposedThreshold(current: number, inUse = 0): number {
  const want = 4 * Math.max(current, inUse, 1);
  return 2 ** Math.ceil(Math.log2(want));
}

/** The competing hypotheses for refused upgrades on a cluster (the other causes of this catalogue group that stats can rule out). */
function otherChecks(s: Snapshot, clusterName: string, keep: string[]): HypothesisCheck[] {
  const cluster = s.clusters.get(clusterName);
  if (!cluster) return [];
  return longLivedStreamChecks(s, cluster, managersForCluster(s, cluster.name)).filter((c) => keep.includes(c.hypothesis));
}

/** Raised default-priority thresholds for the cluster, sized for what is in use now. */
function breakerChange(s: Snapshot, f: Finding): FixChange[] {
  const cluster = s.clusters.get(f.entity.name);
  const limits = cluster?.circuitBreakers.find((c) => c.priority === 'default');
  if (!cluster || !limits) return [];
  const inUse = (key: string) => (typeof f.evidence[key] === 'number' ? (f.evidence[key] as number) : 0);
  return [
    {
      kind: 'cluster-circuit-breakers',
      cluster: cluster.name,
      maxConnections: proposedThreshold(limits.maxConnections, inUse('activeConnections')),
      maxPendingRequests: proposedThreshold(limits.maxPendingRequests),
      maxRequests: proposedThreshold(limits.maxRequests, inUse('activeRequests')),
    },
  ];
}

export const rootCause = defineRootCause({
  id: 'circuit-breaker-saturation',
  title: 'Circuit breakers saturated by long-lived connections',
  message:
    'each WebSocket holds an upstream connection and a request for its whole life, so the circuit breakers (1024 connections and requests by default) cap concurrent WebSockets: further ones queue for a connection until one closes or the client gives up, and past max_pending_requests fail at once with 503 (UO)',
  uses: ['circuit-breaker-overflow', 'circuit-breaker-near-limit'],
  explanations: [CIRCUIT_BREAKER_OPEN_NOW, OVERFLOWS_IN_WINDOW, ACTIVE_AT_THRESHOLD, WEBSOCKETS_HOLD_CONNECTIONS],
  verify: [
    { scope: 'cluster', stat: CLUSTER_STATS.circuitBreakerCxOpen, expect: 'zero' },
    { scope: 'cluster', stat: CLUSTER_STATS.circuitBreakerRqOpen, expect: 'zero' },
    { scope: 'cluster', stat: CLUSTER_STATS.cxOverflow, expect: 'stops-growing' },
    { scope: 'cluster', stat: CLUSTER_STATS.rqPendingOverflow, expect: 'stops-growing' },
  ],
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    const out: Diagnosed[] = [];
    for (const f of findings) {
      const overflow = f.code === 'circuit-breaker-overflow';
      if (!overflow && f.code !== 'circuit-breaker-near-limit') continue;
      // Overflow totals that did not move during the window are history.
      if (f.severity === 'info') continue;
      const explains: Explanation[] = [];
      let score = overflow ? 0.45 : 0.3;
      const openNow = [f.evidence.cxOpen, f.evidence.rqOpen, f.evidence.rqPendingOpen].some((v) => typeof v === 'number' && v >= 1);
      const windowOverflows = (num(f, 'windowCxOverflow') ?? 0) + (num(f, 'windowRqPendingOverflow') ?? 0);
      if (overflow && f.severity === 'error') {
        score += 0.25;
        explains.push(
          openNow
            ? explain(CIRCUIT_BREAKER_OPEN_NOW, {
                cxOpen: f.evidence.cxOpen ?? null,
                rqOpen: f.evidence.rqOpen ?? null,
                rqPendingOpen: f.evidence.rqPendingOpen ?? null,
              })
            : explain(OVERFLOWS_IN_WINDOW, {
                windowCxOverflow: f.evidence.windowCxOverflow ?? null,
                windowRqPendingOverflow: f.evidence.windowRqPendingOverflow ?? null,
                windowSeconds: f.evidence.windowSeconds ?? null,
              }),
        );
        if (openNow && windowOverflows > 0) {
          explains.push(
            explain(OVERFLOWS_IN_WINDOW, {
              windowCxOverflow: f.evidence.windowCxOverflow ?? null,
              windowRqPendingOverflow: f.evidence.windowRqPendingOverflow ?? null,
              windowSeconds: f.evidence.windowSeconds ?? null,
            }),
          );
        }
      }
      const cxShare = num(f, 'connectionShare') ?? 0;
      const rqShare = num(f, 'requestShare') ?? 0;
      if (Math.max(cxShare, rqShare) >= AT_LIMIT_SHARE) {
        score += 0.15;
        explains.push(
          cxShare >= rqShare
            ? explain(ACTIVE_AT_THRESHOLD, { active: f.evidence.activeConnections ?? null, threshold: f.evidence.maxConnections ?? null, kind: 'connections' })
            : explain(ACTIVE_AT_THRESHOLD, { active: f.evidence.activeRequests ?? null, threshold: f.evidence.maxRequests ?? null, kind: 'requests' }),
        );
      }
      const upgradesActive = num(f, 'upgradesActive');
      if (upgradesActive !== undefined && upgradesActive > 0 && typeof f.evidence.websocketRoutes === 'number') {
        score += 0.15;
        explains.unshift(
          explain(WEBSOCKETS_HOLD_CONNECTIONS, {
            upgradesActive,
            activeConnections: f.evidence.activeConnections ?? null,
            maxConnections: f.evidence.maxConnections ?? null,
          }),
        );
      }
      out.push({
        id: 'circuit-breaker-saturation',
        ...scoring(s, score, (confidence) => (overflow && f.severity === 'error' && confidence !== 'low' ? 'error' : 'warning')),
        entities: [{ kind: 'cluster', name: f.entity.name }],
        evidence: [f],
        explains,
        checks: otherChecks(s, f.entity.name, ['websocket-upgrade-disabled']),
        changes: breakerChange(s, f),
      });
    }
    return out;
  },
});
