// Which Envoy Gateway traffic policy a change lands in (gateway.envoyproxy.io/v1alpha1, envoyproxy/gateway
// api/v1alpha1): the policy that wins for its target, or the one a new policy would replace or merge with.
// - A BackendTrafficPolicy for the xRoute behind a cluster or route (internal/gatewayapi/clustersettings.go): a
//   rule-level (sectionName) one beats a route-level one, which beats a Gateway-level one; the winning live one is
//   patched with its fields kept. Without the Kubernetes objects, the policy the xDS metadata names on the xRoute's
//   routes (`filter_metadata["envoy-gateway"].policies`, >= 1.7) is patched by name.
// - A ClientTrafficPolicy for a Gateway listener via targetRefs[].sectionName (internal/gatewayapi/
//   clienttrafficpolicy.go): a section-level one replaces the Gateway-wide one on that listener.
// - A Gateway-level BackendTrafficPolicy Accepted for the route (status conditions, sigs.k8s.io/gateway-api
//   PolicyAncestorStatus) whose field the proxy lacks is the fix as it is: the gap is in the proxy.

import { acceptedGeneration, type KubeObject, overriddenConditions, policyTargets, routesInMessage } from '../model/kubernetes.ts';
import type { FixChange } from '../model/finding.ts';
import type { Route, Snapshot, SourceObject } from '../model/snapshot.ts';
import { liveRoute, liveRule, routeOfCluster, routeOfRoute, sameNamespace } from './envoy-gateway-routes.ts';
import type { ChangeTarget, TrafficPolicyPiece } from './fix-kind.ts';
import { gatewayListenerOf, objectName } from './gateway-objects.ts';
import { type DetectedVersion, supports } from './versions.ts';

/** A change that lands in a traffic policy, with its target and its piece. */
export interface PolicyChange {
  change: FixChange;
  target: ChangeTarget;
  piece: TrafficPolicyPiece;
}

/** The object a group of changes lands in: an existing policy to patch, or a new one. */
export interface PolicyTarget {
  key: string;
  kind: 'BackendTrafficPolicy' | 'ClientTrafficPolicy';
  namespace: string;
  name: string;
  targetRef: Record<string, string>;
  /** The live object, when the change patches an existing policy. */
  existing?: KubeObject;
  /** For a new policy: the live Gateway-level one it would replace on its target, whose fields it must carry. */
  replaces?: KubeObject;
  /** For a new route-level BackendTrafficPolicy: the live Gateway-level one it merges with (mergeType). */
  parent?: KubeObject;
  route?: SourceObject;
  /** The Gateway and listener of a ClientTrafficPolicy. */
  gateway?: string;
  listener?: string;
  /** A policy the proxy's xDS names on the route, whose object was not read: patched by name, never replaced. */
  named?: boolean;
}

/** The live Gateway-level BackendTrafficPolicy a route's own policy would merge with or replace: its listener's, else the Gateway's. */
function gatewayBackendPolicy(s: Snapshot, route: SourceObject): KubeObject | undefined {
  const parents = liveRoute(s, route)?.spec?.parentRefs;
  const refs = (Array.isArray(parents) ? parents : []) as Array<{ name?: string; namespace?: string; sectionName?: string; kind?: string }>;
  const policies = s.kubernetes?.backendTrafficPolicies ?? [];
  for (const sectioned of [true, false]) {
    for (const ref of refs) {
      if (ref.kind !== undefined && ref.kind !== 'Gateway') continue;
      const ns = ref.namespace ?? route.namespace;
      const found = policies.find(
        (p) =>
          sameNamespace(p, ns) &&
          policyTargets(p).some(
            (t) =>
              t.kind === 'Gateway' &&
              t.name === ref.name &&
              (sectioned ? t.sectionName !== undefined && t.sectionName === ref.sectionName : t.sectionName === undefined),
          ),
      );
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * What a Gateway-level BackendTrafficPolicy already sets for a change, when its status says it is in effect for the
 * route (Accepted at its current generation, no route-level policy beside it) and yet the live cluster does not
 * carry it: the proxy does not run what the controller accepted. Undefined when the policy does not set the field,
 * is not Accepted, or the cluster carries its value.
 */
export function gatewayPolicyNotInProxy(s: Snapshot, c: PolicyChange, policy: KubeObject): { fields: string; generation: number } | undefined {
  const generation = acceptedGeneration(policy);
  if (generation === undefined || c.target.kind !== 'cluster') return undefined;
  // Overridden for this very route (by a policy envoy-doctor did not read): not in effect there.
  const route = routeOfCluster(s, c.target.name);
  const overridden = overriddenConditions(policy).flatMap(routesInMessage);
  if (!route || overridden.some((r) => r.namespace === route.namespace && r.name === route.name)) return undefined;
  const fields = c.piece.setButNotInProxy?.(policy.spec ?? {});
  return fields === undefined ? undefined : { fields, generation };
}

/** A BackendTrafficPolicy target for a live policy. */
function livePolicyTarget(policy: KubeObject, namespace: string, route?: SourceObject): PolicyTarget {
  return {
    key: `BackendTrafficPolicy|${namespace}|${policy.metadata.name}`,
    kind: 'BackendTrafficPolicy',
    namespace,
    name: policy.metadata.name,
    targetRef: {},
    existing: policy,
    ...(route ? { route } : {}),
  };
}

/** The policies a BackendTrafficPolicy for a route's changes is chosen among. */
interface RoutePolicies {
  /** The live policy that wins for the route's rule. */
  existing: KubeObject | undefined;
  /** Without the Kubernetes objects, the policy the xDS names on the route. */
  named: SourceObject | undefined;
  /** The live Gateway-level policy a route-level one merges with or replaces. */
  gatewayPolicy: KubeObject | undefined;
}

const routePolicyCache = new WeakMap<Snapshot, Map<string, Omit<RoutePolicies, 'existing'>>>();

/**
 * A route's policies: the one that wins for its rule, else the one the xDS names on it and the Gateway-level one,
 * those two found once per route (a mesh's changes land on thousands of routes, several on each rule).
 */
function policiesOfRoute(s: Snapshot, route: SourceObject): RoutePolicies {
  // The policy that wins for this rule: one for the rule's section, else one for the whole route. Patching it
  // keeps everything it sets; a second one would conflict with it.
  const ruleName = liveRule(s, route)?.name;
  const onRoute = (s.kubernetes?.backendTrafficPolicies ?? []).filter((p) => sameNamespace(p, route.namespace));
  const targets = (p: KubeObject, section: string | undefined) =>
    policyTargets(p).some((t) => t.kind === route.kind && t.name === route.name && t.sectionName === section);
  const existing = (typeof ruleName === 'string' ? onRoute.find((p) => targets(p, ruleName)) : undefined) ?? onRoute.find((p) => targets(p, undefined));
  if (existing) return { existing, named: undefined, gatewayPolicy: undefined };
  let cache = routePolicyCache.get(s);
  if (!cache) {
    cache = new Map();
    routePolicyCache.set(s, cache);
  }
  const key = sourceKey(route);
  let found = cache.get(key);
  if (!found) {
    const named = s.kubernetes ? undefined : routeLevelPolicyNamed(s, route);
    found = { named, gatewayPolicy: named ? undefined : gatewayBackendPolicy(s, route) };
    cache.set(key, found);
  }
  return { existing: undefined, ...found };
}

/** The BackendTrafficPolicy a change on a cluster or route (or naming its policy) lands in. */
export function backendTarget(s: Snapshot, c: PolicyChange, version: DetectedVersion): PolicyTarget | undefined {
  const byName = c.piece.namedPolicy;
  if (byName) {
    const existing = s.kubernetes?.backendTrafficPolicies.find((p) => p.metadata.namespace === byName.namespace && p.metadata.name === byName.name);
    return existing ? livePolicyTarget(existing, byName.namespace) : undefined;
  }
  if (c.target.kind !== 'cluster' && c.target.kind !== 'route') return undefined;
  const route = c.target.kind === 'cluster' ? routeOfCluster(s, c.target.name) : routeOfRoute(s, c.target.name);
  if (!route) return undefined;
  const { existing, named, gatewayPolicy } = policiesOfRoute(s, route);
  if (existing) return livePolicyTarget(existing, existing.metadata.namespace ?? route.namespace, route);
  if (named) {
    return {
      key: `BackendTrafficPolicy|${named.namespace}|${named.name}`,
      kind: 'BackendTrafficPolicy',
      namespace: named.namespace,
      name: named.name,
      targetRef: {},
      route,
      named: true,
    };
  }
  // The Gateway-level policy wins for the route and already sets the field, yet the cluster lacks it: the fix is
  // that policy as it is, with a note saying so, not a new route-level one that would hide the gap.
  if (gatewayPolicy && gatewayPolicyNotInProxy(s, c, gatewayPolicy))
    return livePolicyTarget(gatewayPolicy, gatewayPolicy.metadata.namespace ?? route.namespace, route);
  const name = objectName(route.name, 'connection');
  const t: PolicyTarget = {
    key: `BackendTrafficPolicy|${route.namespace}|${name}`,
    kind: 'BackendTrafficPolicy',
    namespace: route.namespace,
    name,
    targetRef: { group: 'gateway.networking.k8s.io', kind: route.kind, name: route.name },
    route,
  };
  if (gatewayPolicy && supports(version, 'BackendTrafficPolicy.spec.mergeType') === 'no') t.replaces = gatewayPolicy;
  else if (gatewayPolicy) t.parent = gatewayPolicy;
  return t;
}

/**
 * Without the Kubernetes objects: the BackendTrafficPolicy the xDS metadata names on this xRoute's Envoy routes and on
 * no route of another xRoute, so it targets the xRoute (or one of its rules) rather than the Gateway. A new policy on
 * the same xRoute would conflict with it and be ignored; this one is the one to change.
 */
function routeLevelPolicyNamed(s: Snapshot, route: SourceObject): SourceObject | undefined {
  const sameRoute = (o: SourceObject) => o.kind === route.kind && o.name === route.name && o.namespace === route.namespace;
  const index = routePolicyIndex(s);
  const named = (index.bySource.get(sourceKey(route)) ?? []).flatMap((r) => (r.policies ?? []).filter((p) => p.kind === 'BackendTrafficPolicy'));
  const elsewhere = (p: SourceObject) => (index.byPolicy.get(sourceKey(p)) ?? []).some((r) => !r.sources.some(sameRoute));
  const candidates = [...new Map(named.map((p) => [`${p.namespace}/${p.name}`, p])).values()].filter((p) => !elsewhere(p));
  return candidates.length === 1 ? candidates[0] : undefined;
}

const sourceKey = (o: SourceObject) => `${o.kind}|${o.namespace}|${o.name}`;

/** Envoy routes by the objects they come from and by the policies they name. */
interface RoutePolicyIndex {
  bySource: Map<string, Route[]>;
  byPolicy: Map<string, Route[]>;
}

const routePolicyIndexes = new WeakMap<Snapshot, RoutePolicyIndex>();

/** The snapshot's RoutePolicyIndex, built once: a mesh's fixes look up thousands of routes. */
function routePolicyIndex(s: Snapshot): RoutePolicyIndex {
  let index = routePolicyIndexes.get(s);
  if (index) return index;
  index = { bySource: new Map(), byPolicy: new Map() };
  const add = (map: Map<string, Route[]>, key: string, r: Route) => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [r]);
    else if (list[list.length - 1] !== r) list.push(r);
  };
  for (const r of s.routes) {
    for (const o of r.sources) add(index.bySource, sourceKey(o), r);
    for (const p of r.policies ?? []) add(index.byPolicy, sourceKey(p), r);
  }
  routePolicyIndexes.set(s, index);
  return index;
}

/** The ClientTrafficPolicy a change on a Gateway listener lands in. */
export function clientTarget(s: Snapshot, c: PolicyChange): PolicyTarget | undefined {
  if (c.target.kind !== 'listener') return undefined;
  const gw = gatewayListenerOf(s, c.target.name);
  if (!gw) return undefined;
  const sectionName = gw.sectionName as string;
  const policies = (s.kubernetes?.clientTrafficPolicies ?? []).filter((p) => sameNamespace(p, gw.namespace));
  const onGateway = (p: KubeObject, section: string | undefined) =>
    policyTargets(p).some((t) => t.kind === 'Gateway' && t.name === gw.name && t.sectionName === section);
  const existing = policies.find((p) => onGateway(p, sectionName));
  const where = { gateway: `${gw.namespace}/${gw.name}`, listener: sectionName };
  if (existing) {
    return {
      key: `ClientTrafficPolicy|${gw.namespace}|${existing.metadata.name}`,
      kind: 'ClientTrafficPolicy',
      namespace: gw.namespace,
      name: existing.metadata.name,
      targetRef: {},
      existing,
      ...where,
    };
  }
  const name = objectName(gw.name, sectionName, 'connection');
  const t: PolicyTarget = {
    key: `ClientTrafficPolicy|${gw.namespace}|${name}`,
    kind: 'ClientTrafficPolicy',
    namespace: gw.namespace,
    name,
    targetRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gw.name, sectionName },
    ...where,
  };
  const gatewayWide = policies.find((p) => onGateway(p, undefined));
  if (gatewayWide) t.replaces = gatewayWide;
  return t;
}
