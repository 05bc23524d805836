// The xRoute behind an Envoy cluster or route under Envoy Gateway, from the xDS metadata naming its source objects
// (`metadata.filter_metadata["envoy-gateway"].resources`), and its live object: an HTTPRoute rule
// (gateway.networking.k8s.io/v1 HTTPRoute `spec.rules[]`, sigs.k8s.io/gateway-api apis/v1/httproute_types.go).

import type { KubeObject } from '../model/kubernetes.ts';
import type { Snapshot, SourceObject } from '../model/snapshot.ts';
import { routeByName } from '../model/topology.ts';

/** The Gateway API route kinds Envoy Gateway translates. */
const ROUTE_KINDS = new Set(['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'UDPRoute']);

/** The xRoute a cluster was generated from. */
export function routeOfCluster(s: Snapshot, cluster: string): SourceObject | undefined {
  return s.clusters.get(cluster)?.sources.find((o) => ROUTE_KINDS.has(o.kind));
}

/** The xRoute (with its rule) an Envoy route was generated from. */
export function routeOfRoute(s: Snapshot, route: string): SourceObject | undefined {
  return routeByName(s, route)?.sources.find((o) => ROUTE_KINDS.has(o.kind));
}

/** True when a live object is in the namespace (an object without one is taken to be). */
export const sameNamespace = (p: KubeObject, namespace: string) => (p.metadata.namespace ?? namespace) === namespace;

/** The live HTTPRoute (or other xRoute) of a source object. */
export function liveRoute(s: Snapshot, route: SourceObject): KubeObject | undefined {
  return route.kind === 'HTTPRoute' ? s.kubernetes?.httpRoutes.find((r) => r.metadata.name === route.name && sameNamespace(r, route.namespace)) : undefined;
}

/** The rule of an xRoute a source object names, from the live route. */
export function liveRule(s: Snapshot, route: SourceObject): Record<string, unknown> | undefined {
  if (route.rule === undefined) return undefined;
  const rules = liveRoute(s, route)?.spec?.rules;
  const rule = Array.isArray(rules) ? rules[route.rule] : undefined;
  return rule && typeof rule === 'object' ? (rule as Record<string, unknown>) : undefined;
}
