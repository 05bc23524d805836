// cluster-circuit-breakers: a cluster's circuit-breaker thresholds, `circuit_breakers.thresholds`
// (api/envoy/config/cluster/v3/circuit_breaker.proto), merged by priority into the live list: the DEFAULT entry (an
// entry without `priority` is DEFAULT) gets the new limits where they raise it, other fields (retry budget,
// max_retries, track_remaining) and the HIGH entry stay. Envoy Gateway BackendTrafficPolicy `circuitBreaker`; Istio
// DestinationRule `connectionPool` (tcp.maxConnections, http.http1MaxPendingRequests, http.http2MaxRequests).

import type { FixChangeOf } from '../../model/fix-change.ts';
import { asNumber, isObj, type Obj } from '../envoy-spelling.ts';
import type { LiveEdit } from '../envoy-live-edit.ts';
import { clusterTarget, type FixKind } from '../fix-kind.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** Cluster circuit-breaker thresholds (default priority). */
    'cluster-circuit-breakers': { cluster: string; maxConnections: number; maxPendingRequests: number; maxRequests: number };
  }
}

/** The DEFAULT thresholds of the live cluster raised to the change's limits. */
function mergeThresholds(e: LiveEdit, c: FixChangeOf<'cluster-circuit-breakers'>): void {
  const { sp } = e;
  const breakers = sp.child(e.resource, 'circuit_breakers');
  const key = sp.key(breakers, 'thresholds');
  const thresholds = Array.isArray(breakers[key]) ? (breakers[key] as unknown[]) : [];
  breakers[key] = thresholds;
  let entry = thresholds.find((t): t is Obj => isObj(t) && (t.priority === undefined || t.priority === 'DEFAULT' || t.priority === 0));
  if (!entry) {
    entry = { priority: 'DEFAULT' };
    thresholds.push(entry);
  }
  const limits: Array<[string, number]> = [
    ['max_connections', c.maxConnections],
    ['max_pending_requests', c.maxPendingRequests],
    ['max_requests', c.maxRequests],
  ];
  for (const [field, value] of limits) {
    // A live limit above the new one stays: the fix only raises.
    const live = asNumber(sp.get(entry, field));
    sp.set(entry, field, live !== undefined && live > value ? sp.get(entry, field) : value);
  }
}

/** A cluster's circuit breakers, rendered for every flavor. */
export const fixKind: FixKind<'cluster-circuit-breakers'> = {
  kind: 'cluster-circuit-breakers',
  target: clusterTarget,
  envoy: (_s, c) => ({
    lands: 'resource',
    resource: {
      circuit_breakers: {
        thresholds: [{ priority: 'DEFAULT', max_connections: c.maxConnections, max_pending_requests: c.maxPendingRequests, max_requests: c.maxRequests }],
      },
    },
    merge: (e) => mergeThresholds(e, c),
  }),
  envoyGateway: (_s, c) => ({
    lands: 'traffic-policy',
    spec: { circuitBreaker: { maxConnections: c.maxConnections, maxPendingRequests: c.maxPendingRequests, maxParallelRequests: c.maxRequests } },
  }),
  istio: (_s, c) => ({
    lands: 'traffic',
    connectionPool: { tcp: { maxConnections: c.maxConnections }, http: { http1MaxPendingRequests: c.maxPendingRequests, http2MaxRequests: c.maxRequests } },
  }),
};
