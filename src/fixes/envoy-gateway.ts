// Fixes as Envoy Gateway policies (gateway.envoyproxy.io/v1alpha1, envoyproxy/gateway api/v1alpha1):
// BackendTrafficPolicy `connection.bufferLimit` and `tcpKeepalive` for the xRoute behind a cluster
// (internal/gatewayapi/clustersettings.go), ClientTrafficPolicy `connection.bufferLimit` and `tcpKeepalive`
// for a Gateway listener via targetRefs[].sectionName (internal/gatewayapi/clienttrafficpolicy.go).
// Each fix is computed against the policy that wins for its target, or the one it would replace:
// - a rule-level (sectionName) BackendTrafficPolicy beats a route-level one, which beats a Gateway-level one; the
//   winning live one is patched with its fields kept. A new route-level one sets mergeType: StrategicMerge
//   (Envoy Gateway >= 1.4, route targets only) so the Gateway-level one's fields still apply; where the running
//   release has no mergeType it copies them instead;
// - a section-level ClientTrafficPolicy replaces the Gateway-wide one on that listener (no mergeType exists for
//   ClientTrafficPolicy): a new one carries every field of the live Gateway-wide policy, and says so;
// - `httpUpgrade` is merged by type into the live list, and `requestBuffer` (refused together with it from 1.8.0)
//   dropped from the object that would carry both;
// - an HTTPRoute rule's `timeouts.request` wins over a policy's `requestTimeout`: the HTTPRoute is changed then;
// - durations match the CRD pattern `^([0-9]{1,5}(h|m|s|ms)){1,4}$`; fields the detected release lacks are left
//   out (versions.ts), and every fix states the release it needs.

import { stringify } from 'yaml';
import type { Explanation, FixChange, LiveDiff, RenderedFix } from '../model/finding.ts';
import { diffJson } from './envoy-merge.ts';
import { acceptedGeneration, type KubeObject, overriddenConditions, policyTargets, routesInMessage } from '../model/kubernetes.ts';
import type { Route, Snapshot, SourceObject } from '../model/snapshot.ts';
import { routeByName } from '../model/topology.ts';
import { crdDuration, quantity, quantityBytes } from './quantity.ts';
import { changeTarget, deepMerge } from './changes.ts';
import type { FixRenderer, RenderedChangeSet } from './renderer.ts';
import { envoyProxyObjects, type EnvoyProxyPatch, gatewayListenerOf, objectName } from './gateway-objects.ts';
import { envoyGatewayStatsMatches } from './stats-inclusion.ts';
import { describeVersion, type DetectedVersion, ENVOY_GATEWAY_SINCE, envoyGatewayVersion, type GatedFeature, highest, supports } from './versions.ts';

const ROUTE_KINDS = new Set(['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'UDPRoute']);
/** Fields that name what a policy applies to: never copied from another policy. */
const TARGET_FIELDS = ['targetRef', 'targetRefs', 'targetSelectors'];

function routeOf(s: Snapshot, cluster: string): SourceObject | undefined {
  return s.clusters.get(cluster)?.sources.find((o) => ROUTE_KINDS.has(o.kind));
}

/**
 * Fields Envoy Gateway's release notes name but the published CRD schema (after v1.9.0) does not declare: the API
 * server would prune them, so they are never rendered.
 */
const NOT_DECLARED: ReadonlySet<GatedFeature> = new Set(['BackendTrafficPolicy.spec.timeout.http.streamIdleTimeout']);

/** The gated field a change sets in its policy, if any. */
function gatedFeature(c: FixChange): GatedFeature | undefined {
  switch (c.kind) {
    case 'route-idle-timeout':
      return 'BackendTrafficPolicy.spec.timeout.http.streamIdleTimeout';
    case 'listener-stream-idle-timeout':
      return 'ClientTrafficPolicy.spec.timeout.http.streamIdleTimeout';
    case 'listener-max-stream-duration':
      return c.ms > 0 ? 'ClientTrafficPolicy.spec.connection.connectionLimit.maxStreamDuration' : undefined;
    default:
      return undefined;
  }
}

/** The part of a policy's `spec` one change sets (undefined when the policy cannot express it). */
function specPatch(c: FixChange): Record<string, unknown> | undefined {
  switch (c.kind) {
    case 'cluster-buffer-limit':
    case 'listener-buffer-limit':
      return { connection: { bufferLimit: quantity(c.bytes) } };
    case 'cluster-tcp-keepalive':
    case 'listener-tcp-keepalive':
      return { tcpKeepalive: { probes: c.probes, idleTime: crdDuration(c.timeSeconds * 1000), interval: crdDuration(c.intervalSeconds * 1000) } };
    case 'route-timeout':
      return { timeout: { http: { requestTimeout: crdDuration(c.ms) } } };
    case 'route-idle-timeout':
    case 'listener-stream-idle-timeout':
      return { timeout: { http: { streamIdleTimeout: crdDuration(c.ms) } } };
    case 'cluster-max-connection-duration':
      // Unset means unlimited; a policy cannot say "none", so a limit to lift is a field to remove.
      return c.ms > 0 ? { timeout: { http: { maxConnectionDuration: crdDuration(c.ms) } } } : undefined;
    case 'route-max-stream-duration':
      // BackendTrafficPolicy timeout.http.maxStreamDuration is the route's max_stream_duration; 0s lets streams run.
      return { timeout: { http: { maxStreamDuration: crdDuration(c.ms) } } };
    case 'cluster-max-stream-duration':
      // Envoy Gateway sets no cluster max_stream_duration of its own: one set there came from a patch (docs page).
      return undefined;
    case 'cluster-circuit-breakers':
      return { circuitBreaker: { maxConnections: c.maxConnections, maxPendingRequests: c.maxPendingRequests, maxParallelRequests: c.maxRequests } };
    case 'route-websocket-upgrade':
      return { httpUpgrade: [{ type: 'websocket' }] };
    case 'cluster-client-protocol':
      return { useClientProtocol: true };
    case 'route-disable-request-buffer':
      // Removal: handled on the whole object (a patch cannot delete a field).
      return undefined;
    case 'listener-max-stream-duration':
      // ClientTrafficPolicy connection.connectionLimit.maxStreamDuration sets the connection manager's limit
      // (internal/xds/translator/listener.go); lifting it is removing the field.
      return c.ms > 0 ? { connection: { connectionLimit: { maxStreamDuration: crdDuration(c.ms) } } } : undefined;
    case 'tcp-proxy-idle-timeout':
      return { timeout: { tcp: { idleTimeout: crdDuration(c.ms) } } };
    case 'listener-allow-connect':
    case 'proxy-drain-time':
      // Not policy fields: an EnvoyPatchPolicy and the EnvoyProxy (see proxyObjects).
      return undefined;
    case 'policy-fields':
      return c.fields;
    case 'stats-inclusion':
      // The EnvoyProxy, not a traffic policy: see stats-inclusion.ts.
      return undefined;
  }
}

/** A policy's spec without the fields that name its targets. */
function withoutTargets(spec: Record<string, unknown> | undefined): Record<string, unknown> {
  const out = structuredClone(spec ?? {});
  for (const f of TARGET_FIELDS) delete out[f];
  return out;
}

/** The object a group of changes lands in: an existing policy to patch, or a new one. */
interface PolicyTarget {
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

const sameNamespace = (p: KubeObject, namespace: string) => (p.metadata.namespace ?? namespace) === namespace;

/** The live HTTPRoute (or other xRoute) of a source object. */
function liveRoute(s: Snapshot, route: SourceObject): KubeObject | undefined {
  return route.kind === 'HTTPRoute' ? s.kubernetes?.httpRoutes.find((r) => r.metadata.name === route.name && sameNamespace(r, route.namespace)) : undefined;
}

/** The rule of an xRoute a source object names, from the live route. */
function liveRule(s: Snapshot, route: SourceObject): Record<string, unknown> | undefined {
  if (route.rule === undefined) return undefined;
  const rules = liveRoute(s, route)?.spec?.rules;
  const rule = Array.isArray(rules) ? rules[route.rule] : undefined;
  return rule && typeof rule === 'object' ? (rule as Record<string, unknown>) : undefined;
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
        (p) => sameNamespace(p, ns) && policyTargets(p).some((t) => t.kind === 'Gateway' && t.name === ref.name && (sectioned ? t.sectionName !== undefined && t.sectionName === ref.sectionName : t.sectionName === undefined)),
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
function gatewayPolicyNotInProxy(s: Snapshot, c: FixChange, policy: KubeObject): { fields: string; generation: number } | undefined {
  const generation = acceptedGeneration(policy);
  if (generation === undefined || !('cluster' in c)) return undefined;
  // Overridden for this very route (by a policy envoy-doctor did not read): not in effect there.
  const route = routeOf(s, c.cluster);
  const overridden = overriddenConditions(policy).flatMap(routesInMessage);
  if (!route || overridden.some((r) => r.namespace === route.namespace && r.name === route.name)) return undefined;
  const spec = policy.spec ?? {};
  if (c.kind === 'cluster-tcp-keepalive') {
    const cluster = s.clusters.get(c.cluster);
    return cluster && spec.tcpKeepalive !== undefined && cluster.tcpKeepalive === undefined ? { fields: 'tcpKeepalive', generation } : undefined;
  }
  if (c.kind === 'cluster-buffer-limit') {
    const cluster = s.clusters.get(c.cluster);
    const bytes = quantityBytes((spec.connection as { bufferLimit?: unknown } | undefined)?.bufferLimit);
    return cluster && bytes !== undefined && cluster.bufferLimitBytes.value !== bytes ? { fields: 'connection.bufferLimit', generation } : undefined;
  }
  return undefined;
}

function backendTarget(s: Snapshot, c: FixChange, version: DetectedVersion): PolicyTarget | undefined {
  if (c.kind === 'policy-fields') {
    const existing = s.kubernetes?.backendTrafficPolicies.find((p) => p.metadata.namespace === c.policy.namespace && p.metadata.name === c.policy.name);
    if (!existing) return undefined;
    return { key: `BackendTrafficPolicy|${c.policy.namespace}|${c.policy.name}`, kind: 'BackendTrafficPolicy', namespace: c.policy.namespace, name: c.policy.name, targetRef: {}, existing };
  }
  const target = changeTarget(c);
  if (target.kind !== 'cluster' && target.kind !== 'route') return undefined;
  const route = target.kind === 'cluster' ? routeOf(s, target.name) : routeByName(s, target.name)?.sources.find((o) => ROUTE_KINDS.has(o.kind));
  if (!route) return undefined;
  // The policy that wins for this rule: one for the rule's section, else one for the whole route. Patching it
  // keeps everything it sets; a second one would conflict with it.
  const ruleName = liveRule(s, route)?.name;
  const onRoute = (s.kubernetes?.backendTrafficPolicies ?? []).filter((p) => sameNamespace(p, route.namespace));
  const targets = (p: KubeObject, section: string | undefined) => policyTargets(p).some((t) => t.kind === route.kind && t.name === route.name && t.sectionName === section);
  const existing = (typeof ruleName === 'string' ? onRoute.find((p) => targets(p, ruleName)) : undefined) ?? onRoute.find((p) => targets(p, undefined));
  if (existing) {
    const namespace = existing.metadata.namespace ?? route.namespace;
    return { key: `BackendTrafficPolicy|${namespace}|${existing.metadata.name}`, kind: 'BackendTrafficPolicy', namespace, name: existing.metadata.name, targetRef: {}, existing, route };
  }
  const named = s.kubernetes ? undefined : routeLevelPolicyNamed(s, route);
  if (named) {
    return { key: `BackendTrafficPolicy|${named.namespace}|${named.name}`, kind: 'BackendTrafficPolicy', namespace: named.namespace, name: named.name, targetRef: {}, route, named: true };
  }
  const gatewayPolicy = gatewayBackendPolicy(s, route);
  // The Gateway-level policy wins for the route and already sets the field, yet the cluster lacks it: the fix is
  // that policy as it is, with a note saying so, not a new route-level one that would hide the gap.
  if (gatewayPolicy && gatewayPolicyNotInProxy(s, c, gatewayPolicy)) {
    const namespace = gatewayPolicy.metadata.namespace ?? route.namespace;
    return { key: `BackendTrafficPolicy|${namespace}|${gatewayPolicy.metadata.name}`, kind: 'BackendTrafficPolicy', namespace, name: gatewayPolicy.metadata.name, targetRef: {}, existing: gatewayPolicy, route };
  }
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

function clientTarget(s: Snapshot, c: FixChange): PolicyTarget | undefined {
  const target = changeTarget(c);
  if (target.kind !== 'listener') return undefined;
  const gw = gatewayListenerOf(s, target.name);
  if (!gw) return undefined;
  const sectionName = gw.sectionName as string;
  const policies = (s.kubernetes?.clientTrafficPolicies ?? []).filter((p) => sameNamespace(p, gw.namespace));
  const onGateway = (p: KubeObject, section: string | undefined) => policyTargets(p).some((t) => t.kind === 'Gateway' && t.name === gw.name && t.sectionName === section);
  const existing = policies.find((p) => onGateway(p, sectionName));
  const where = { gateway: `${gw.namespace}/${gw.name}`, listener: sectionName };
  if (existing) {
    return { key: `ClientTrafficPolicy|${gw.namespace}|${existing.metadata.name}`, kind: 'ClientTrafficPolicy', namespace: gw.namespace, name: existing.metadata.name, targetRef: {}, existing, ...where };
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

/** Removes a nested field; true when it was there. */
function removeField(spec: Record<string, unknown>, path: string[]): boolean {
  let cur = spec;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    if (!next || typeof next !== 'object' || Array.isArray(next)) return false;
    cur = next as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  if (!(last in cur)) return false;
  delete cur[last];
  return true;
}

/** `httpUpgrade` entries merged by type: the live ones kept in their order, new types appended. */
function mergeUpgrades(live: unknown, added: unknown): unknown[] {
  const out = Array.isArray(live) ? structuredClone(live) : [];
  const typeOf = (u: unknown) => (u && typeof u === 'object' ? String((u as { type?: unknown }).type ?? '').toLowerCase() : '');
  for (const u of Array.isArray(added) ? added : []) if (!out.some((x) => typeOf(x) === typeOf(u))) out.push(u);
  return out;
}

const policyName = (p: KubeObject, fallback: string) => `${p.metadata.namespace ?? fallback}/${p.metadata.name}`;

/** The policy object for a group of changes, with the notes that say what it keeps, drops and needs. */
function policyObject(s: Snapshot, t: PolicyTarget, changes: FixChange[], version: DetectedVersion): { object: Record<string, unknown>; notes: Explanation[]; liveDiff?: LiveDiff } {
  const notes: Explanation[] = [];
  const needs: GatedFeature[] = [];
  const described = describeVersion(version);
  // The fix's own fields, then the fields a policy-overridden root cause copies from the Gateway-level policy, so a
  // user's own values win over the fix's defaults.
  const fields: Record<string, unknown> = {};
  let upgrades: unknown[] = [];
  const notInProxy: FixChange[] = [];
  for (const c of changes.filter((x) => x.kind !== 'policy-fields')) {
    // A live Gateway-level policy that already sets the field keeps its own value: the gap is in the proxy.
    const missing = t.existing ? gatewayPolicyNotInProxy(s, c, t.existing) : undefined;
    if (t.existing && missing && policyTargets(t.existing).some((x) => x.kind === 'Gateway')) {
      notInProxy.push(c);
      const overriddenFor = overriddenConditions(t.existing).flatMap((m) => routesInMessage(m).map((r) => `${r.namespace}/${r.name}`));
      const cluster = 'cluster' in c ? c.cluster : '';
      const route = routeOf(s, cluster);
      notes.push({
        code: 'gateway-policy-not-in-proxy',
        values: {
          policy: policyName(t.existing, t.namespace),
          fields: missing.fields,
          generation: missing.generation,
          route: route ? `${route.namespace}/${route.name}` : '',
          overriddenFor: overriddenFor.length > 0 ? overriddenFor.join(', ') : null,
          cluster,
        },
      });
      continue;
    }
    const feature = gatedFeature(c);
    if (feature && NOT_DECLARED.has(feature)) {
      notes.push({ code: 'envoy-gateway-field-not-declared', values: { field: feature } });
      continue;
    }
    if (feature && supports(version, feature) === 'no') {
      notes.push({ code: 'envoy-gateway-field-left-out', values: { field: feature, since: ENVOY_GATEWAY_SINCE[feature], version: described } });
      continue;
    }
    if (feature) needs.push(feature);
    const patch = specPatch(c);
    if (!patch) continue;
    const { httpUpgrade, ...rest } = patch;
    if (httpUpgrade) upgrades = mergeUpgrades(upgrades, httpUpgrade);
    deepMerge(fields, rest);
  }
  for (const c of changes.filter((x) => x.kind === 'policy-fields')) deepMerge(fields, specPatch(c) ?? {});

  // What the object starts from: the live policy, or (new) the fields of the live one it would replace.
  const base = t.existing ? withoutTargets(t.existing.spec) : t.replaces ? withoutTargets(t.replaces.spec) : {};
  const spec: Record<string, unknown> = t.existing
    ? { ...TARGET_FIELDS.reduce<Record<string, unknown>>((o, f) => (t.existing?.spec?.[f] !== undefined ? { ...o, [f]: t.existing.spec[f] } : o), {}) }
    : { targetRefs: [t.targetRef] };
  if (!t.existing && !t.named && t.kind === 'BackendTrafficPolicy' && !t.replaces && supports(version, 'BackendTrafficPolicy.spec.mergeType') !== 'no') {
    spec.mergeType = 'StrategicMerge';
    needs.push('BackendTrafficPolicy.spec.mergeType');
  }
  Object.assign(spec, base);
  deepMerge(spec, fields);
  if (upgrades.length > 0) {
    // A merged Gateway-level policy's list would be replaced by this one's: its upgrade types are kept here too.
    const inherited = t.parent ? mergeUpgrades(spec.httpUpgrade, t.parent.spec?.httpUpgrade) : spec.httpUpgrade;
    spec.httpUpgrade = mergeUpgrades(inherited, upgrades);
  }

  // Fields the fix removes on purpose.
  const removed: string[] = [];
  if (changes.some((c) => c.kind === 'route-disable-request-buffer') && removeField(spec, ['requestBuffer'])) removed.push('requestBuffer');
  // Only where this fix adds an upgrade: a live policy holding both was accepted by its release and stays as it is.
  if (upgrades.length > 0 && removeField(spec, ['requestBuffer'])) {
    notes.push({ code: 'request-buffer-dropped-for-upgrade', values: { policy: `${t.namespace}/${t.name}`, since: ENVOY_GATEWAY_SINCE['BackendTrafficPolicy.spec.requestBuffer+httpUpgrade refused'] } });
  }
  if (changes.some((c) => c.kind === 'cluster-max-connection-duration' && c.ms === 0) && removeField(spec, ['timeout', 'http', 'maxConnectionDuration'])) removed.push('timeout.http.maxConnectionDuration');
  if (changes.some((c) => c.kind === 'listener-max-stream-duration' && c.ms === 0) && removeField(spec, ['connection', 'connectionLimit', 'maxStreamDuration'])) {
    removed.push('connection.connectionLimit.maxStreamDuration');
  }
  for (const field of removed) notes.push({ code: 'policy-field-removed', values: { policy: `${t.namespace}/${t.name}`, field } });
  // A limit to lift that this object never had may still be set by another policy: say where to look.
  if (changes.some((c) => c.kind === 'route-disable-request-buffer') && !removed.includes('requestBuffer') && !t.existing) notes.push({ code: 'remove-policy-field', values: { field: 'requestBuffer' } });
  if (changes.some((c) => c.kind === 'cluster-max-connection-duration' && c.ms === 0) && !removed.includes('timeout.http.maxConnectionDuration')) {
    notes.push({ code: 'remove-policy-field', values: { field: 'timeout.http.maxConnectionDuration' } });
  }
  if (changes.some((c) => c.kind === 'listener-max-stream-duration' && c.ms === 0) && !removed.includes('connection.connectionLimit.maxStreamDuration')) {
    notes.push({ code: 'remove-policy-field', values: { field: 'connection.connectionLimit.maxStreamDuration' } });
  }
  if (t.parent && upgrades.length > 0 && t.parent.spec?.requestBuffer !== undefined) {
    notes.push({ code: 'parent-policy-request-buffer', values: { policy: policyName(t.parent, t.namespace) } });
  }

  // Which live object this is computed against, and why.
  if (t.existing && notInProxy.length < changes.length) notes.unshift({ code: 'patches-winning-policy', values: { policy: `${t.namespace}/${t.name}` } });
  else if (t.replaces && t.kind === 'ClientTrafficPolicy') {
    notes.unshift({ code: 'client-policy-carries-gateway-policy', values: { policy: policyName(t.replaces, t.namespace), gateway: t.gateway ?? '', listener: t.listener ?? '' } });
  } else if (t.replaces) {
    notes.unshift({ code: 'backend-policy-carries-gateway-policy', values: { policy: policyName(t.replaces, t.namespace), version: described } });
  } else if (t.kind === 'BackendTrafficPolicy') {
    const route = t.route ? `${t.route.namespace}/${t.route.name}` : '';
    // With the policies read, none targets the route: only a Gateway-level one could apply beside this one.
    if (t.parent) notes.push({ code: 'policy-merges-with-gateway-policy', values: { route, policy: policyName(t.parent, t.namespace) } });
    else if (!s.kubernetes) notes.push({ code: 'policy-may-be-overridden', values: { route } });
  } else if (!s.kubernetes) {
    notes.push({ code: 'client-policy-may-be-overridden', values: { gateway: t.gateway ?? '', listener: t.listener ?? '' } });
  }
  if (t.kind === 'ClientTrafficPolicy' && changes.some((c) => c.kind === 'listener-buffer-limit')) notes.push({ code: 'listener-limit-pauses-upstream', values: {} });

  const minimum = highest(needs.map((f) => ENVOY_GATEWAY_SINCE[f]));
  if (minimum) notes.push({ code: 'envoy-gateway-minimum-version', values: { minimum, fields: [...new Set(needs)].join(', '), version: described } });

  const metadata: Record<string, unknown> = { name: t.name, namespace: t.namespace };
  if (t.existing?.metadata.labels) metadata.labels = t.existing.metadata.labels;
  const apiVersion = t.existing?.apiVersion ?? 'gateway.envoyproxy.io/v1alpha1';
  const live = t.existing ?? t.replaces;
  const liveDiff: LiveDiff | undefined = live ? { object: `${t.kind} ${policyName(live, t.namespace)}`, changes: diffJson(live.spec ?? {}, spec) } : undefined;
  return { object: { apiVersion, kind: t.kind, metadata, spec }, notes, ...(liveDiff ? { liveDiff } : {}) };
}

/**
 * Request timeouts an HTTPRoute rule sets itself (`timeouts.request`) win over a policy's `requestTimeout`: the rule
 * is changed in the live HTTPRoute instead, rendered whole (status dropped).
 */
function routeTimeoutObjects(s: Snapshot, changes: FixChange[]): { rendered: RenderedChangeSet[]; handled: Set<FixChange> } {
  const byRoute = new Map<string, { live: KubeObject; route: SourceObject; edits: Array<{ rule: number; ms: number; change: FixChange; was: unknown }> }>();
  const handled = new Set<FixChange>();
  for (const c of changes) {
    if (c.kind !== 'route-timeout') continue;
    const route = routeByName(s, c.route)?.sources.find((o) => ROUTE_KINDS.has(o.kind));
    if (!route || route.rule === undefined) continue;
    const rule = liveRule(s, route);
    const was = (rule?.timeouts as { request?: unknown } | undefined)?.request;
    const live = liveRoute(s, route);
    if (was === undefined || !live) continue;
    const key = `${route.namespace}/${route.name}`;
    const entry = byRoute.get(key) ?? { live, route, edits: [] };
    entry.edits.push({ rule: route.rule, ms: c.ms, change: c, was });
    byRoute.set(key, entry);
    handled.add(c);
  }
  const rendered = [...byRoute.values()].map(({ live, route, edits }) => {
    const spec = structuredClone(live.spec ?? {});
    const rules = spec.rules as Array<Record<string, unknown>>;
    for (const e of edits) {
      const rule = rules[e.rule] as Record<string, unknown>;
      rule.timeouts = { ...(rule.timeouts as Record<string, unknown>), request: crdDuration(e.ms) };
    }
    const metadata: Record<string, unknown> = { name: live.metadata.name, namespace: live.metadata.namespace ?? route.namespace };
    if (live.metadata.labels) metadata.labels = live.metadata.labels;
    const fix: RenderedFix = {
      flavor: 'envoy-gateway',
      target: `${route.kind} ${route.namespace}/${route.name}`,
      apply: 'kubectl-apply',
      format: 'yaml',
      text: stringify({ apiVersion: live.apiVersion, kind: live.kind, metadata, spec }, { lineWidth: 0 }),
      notes: edits.map((e) => ({ code: 'httproute-timeout-wins', values: { route: `${route.namespace}/${route.name}`, rule: e.rule, was: String(e.was), timeout: crdDuration(e.ms) } })),
      liveDiff: { object: `${route.kind} ${route.namespace}/${route.name}`, changes: diffJson(live.spec ?? {}, spec) },
    };
    return { fix, changes: edits.map((e) => e.change) };
  });
  return { rendered, handled };
}

/**
 * Changes no traffic policy can express, per Gateway: `allow_connect` through an EnvoyPatchPolicy (a JSON patch of
 * the listener's connection manager; Envoy Gateway has no field for it), and the drain time through the EnvoyProxy's
 * `shutdown.drainTimeout`, which sets `--drain-time-s` (internal/infrastructure/common/proxy_args.go).
 */
function proxyObjects(s: Snapshot, changes: FixChange[]): RenderedChangeSet[] {
  const out: RenderedChangeSet[] = [];
  const patches: EnvoyProxyPatch[] = [];
  const byGateway = new Map<string, { gateway: SourceObject; connect: FixChange[]; drain: FixChange[] }>();
  for (const c of changes) {
    if (c.kind !== 'listener-allow-connect' && c.kind !== 'proxy-drain-time') continue;
    const gateway = gatewayListenerOf(s, c.listener);
    if (!gateway) continue;
    const key = `${gateway.namespace}/${gateway.name}`;
    const entry = byGateway.get(key) ?? { gateway, connect: [], drain: [] };
    (c.kind === 'listener-allow-connect' ? entry.connect : entry.drain).push(c);
    byGateway.set(key, entry);
  }
  for (const { gateway, connect, drain } of byGateway.values()) {
    if (connect.length > 0) {
      const name = objectName(gateway.name, 'allow-connect');
      const listeners = [...new Set(connect.map((c) => (c.kind === 'listener-allow-connect' ? c.listener : '')))];
      const policy = {
        apiVersion: 'gateway.envoyproxy.io/v1alpha1',
        kind: 'EnvoyPatchPolicy',
        metadata: { name, namespace: gateway.namespace },
        spec: {
          targetRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gateway.name },
          type: 'JSONPatch',
          jsonPatches: listeners.map((listener) => ({
            type: 'type.googleapis.com/envoy.config.listener.v3.Listener',
            name: listener,
            operation: {
              op: 'add',
              jsonPath: "..filters[?(@.name=='envoy.filters.network.http_connection_manager')]",
              path: '/typed_config/http2_protocol_options/allow_connect',
              value: true,
            },
          })),
        },
      };
      out.push({
        fix: {
          flavor: 'envoy-gateway',
          target: `EnvoyPatchPolicy ${gateway.namespace}/${name}`,
          apply: 'kubectl-apply',
          format: 'yaml',
          text: stringify(policy, { lineWidth: 0 }),
          notes: [{ code: 'envoy-patch-policy-enable', values: {} }, { code: 'alpn-http11-alternative', values: { gateway: `${gateway.namespace}/${gateway.name}` } }],
        },
        changes: connect,
      });
    }
    if (drain.length > 0) {
      const seconds = Math.max(...drain.map((c) => (c.kind === 'proxy-drain-time' ? c.seconds : 0)));
      patches.push({ gateway, spec: { shutdown: { drainTimeout: crdDuration(seconds * 1000) } }, notes: [{ code: 'drain-timeout-slows-shutdown', values: { drainSeconds: seconds } }], changes: drain });
    }
  }
  const stats = envoyGatewayStatsMatches(s, changes);
  if (stats) patches.push(stats);
  return [...out, ...envoyProxyObjects(s, patches)];
}

export const envoyGatewayRenderer: FixRenderer = {
  flavor: 'envoy-gateway',
  render(s: Snapshot, changes: FixChange[]): RenderedChangeSet[] {
    const version = envoyGatewayVersion(s);
    const routeTimeouts = routeTimeoutObjects(s, changes);
    const targets = new Map<string, { target: PolicyTarget; changes: FixChange[] }>();
    for (const c of changes) {
      if (c.kind === 'listener-allow-connect' || c.kind === 'proxy-drain-time' || routeTimeouts.handled.has(c)) continue;
      const t = backendTarget(s, c, version) ?? clientTarget(s, c);
      if (!t) continue;
      const entry = targets.get(t.key) ?? { target: t, changes: [] };
      entry.changes.push(c);
      targets.set(t.key, entry);
    }
    // A new listener-level ClientTrafficPolicy that sets nothing would still replace a Gateway-wide one: none is rendered.
    const rendered = [...targets.values()].filter(({ target: t, changes: group }) => t.existing || t.kind === 'BackendTrafficPolicy' || group.some((c) => specPatch(c) !== undefined));
    const policies = rendered.map(({ target: t, changes: group }) => {
      const { object, notes, liveDiff } = policyObject(s, t, group, version);
      const spec = object.spec as { timeout?: { http?: { requestTimeout?: unknown } } };
      if (spec.timeout?.http?.requestTimeout === '0s') notes.push({ code: 'request-timeout-zero-disables-idle', values: {} });
      // A policy known by name only: a JSON merge patch of the fields, which keeps the rest of the live object.
      const { targetRefs: _targets, ...patch } = object.spec as Record<string, unknown>;
      if (t.named) notes.unshift({ code: 'patches-named-policy', values: { policy: `${t.namespace}/${t.name}`, route: t.route ? `${t.route.namespace}/${t.route.name}` : '' } });
      const fix: RenderedFix = {
        flavor: 'envoy-gateway',
        target: `${t.kind} ${t.namespace}/${t.name}`,
        apply: t.named ? 'kubectl-patch' : 'kubectl-apply',
        format: 'yaml',
        text: stringify(t.named ? { spec: patch } : object, { lineWidth: 0 }),
        notes: t.named ? notes.filter((n) => n.code !== 'policy-may-be-overridden') : notes,
        ...(liveDiff ? { liveDiff } : {}),
      };
      return { fix, changes: group };
    });
    return [...policies, ...routeTimeouts.rendered, ...proxyObjects(s, changes)];
  },
};
