// circuit-breaker-saturation: long-lived connections use up a cluster's circuit-breaker thresholds. Each
// WebSocket holds one upstream connection and one request for its whole life, so with Envoy's defaults (1024
// connections, pending requests and requests: api/envoy/config/cluster/v3/circuit_breaker.proto) the 1025th
// concurrent WebSocket is queued, then refused with 503 `UO` (envoy#20020;
// docs/root/intro/arch_overview/upstream/circuit_breaking.rst). Evidence, strongest first: a breaker open now or
// overflows during the window, active connections or requests at the threshold, upgraded connections holding them.
// Envoy Gateway: BackendTrafficPolicy `circuitBreaker`; Istio: DestinationRule `connectionPool`.

import type { Explanation, Finding, FixChange, HypothesisCheck } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { managersForCluster } from '../../model/topology.ts';
import { longLivedStreamChecks } from '../hypotheses.ts';
import { type Diagnosed, type DiagnosisRule, scoring } from '../root-cause.ts';

/** Share of a threshold in use that counts as "at the threshold". */
export const AT_LIMIT_SHARE = 0.95;

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

export const rule: DiagnosisRule = {
  id: 'circuit-breaker-saturation',
  uses: ['circuit-breaker-overflow', 'circuit-breaker-near-limit'],
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
            ? { code: 'circuit-breaker-open-now', values: { cxOpen: f.evidence.cxOpen ?? null, rqOpen: f.evidence.rqOpen ?? null, rqPendingOpen: f.evidence.rqPendingOpen ?? null } }
            : { code: 'overflows-in-window', values: { windowCxOverflow: f.evidence.windowCxOverflow ?? null, windowRqPendingOverflow: f.evidence.windowRqPendingOverflow ?? null, windowSeconds: f.evidence.windowSeconds ?? null } },
        );
        if (openNow && windowOverflows > 0) {
          explains.push({ code: 'overflows-in-window', values: { windowCxOverflow: f.evidence.windowCxOverflow ?? null, windowRqPendingOverflow: f.evidence.windowRqPendingOverflow ?? null, windowSeconds: f.evidence.windowSeconds ?? null } });
        }
      }
      const cxShare = num(f, 'connectionShare') ?? 0;
      const rqShare = num(f, 'requestShare') ?? 0;
      if (Math.max(cxShare, rqShare) >= AT_LIMIT_SHARE) {
        score += 0.15;
        explains.push(
          cxShare >= rqShare
            ? { code: 'active-at-threshold', values: { active: f.evidence.activeConnections ?? null, threshold: f.evidence.maxConnections ?? null, kind: 'connections' } }
            : { code: 'active-at-threshold', values: { active: f.evidence.activeRequests ?? null, threshold: f.evidence.maxRequests ?? null, kind: 'requests' } },
        );
      }
      const upgradesActive = num(f, 'upgradesActive');
      if (upgradesActive !== undefined && upgradesActive > 0 && typeof f.evidence.websocketRoutes === 'number') {
        score += 0.15;
        explains.unshift({
          code: 'websockets-hold-connections',
          values: { upgradesActive, activeConnections: f.evidence.activeConnections ?? null, maxConnections: f.evidence.maxConnections ?? null },
        });
      }
      out.push({
        id: 'circuit-breaker-saturation',
        ...scoring(s, score, (confidence) => overflow && f.severity === 'error' && confidence !== 'low' ? 'error' : 'warning'),
        entities: [{ kind: 'cluster', name: f.entity.name }],
        evidence: [f],
        explains,
        checks: otherChecks(s, f.entity.name, ['websocket-upgrade-disabled']),
        changes: breakerChange(s, f),
      });
    }
    return out;
  },
};
