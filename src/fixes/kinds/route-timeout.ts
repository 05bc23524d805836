// route-timeout: a route's request timeout, RouteAction `timeout` (api/envoy/config/route/v3/route_components.proto;
// 0 disables it); Envoy Gateway BackendTrafficPolicy `timeout.http.requestTimeout`, or the HTTPRoute rule's own
// `timeouts.request` where the live rule sets one, since it wins over the policy (sigs.k8s.io/gateway-api
// apis/v1/httproute_types.go HTTPRouteTimeouts); Istio: the VirtualService http route the route came from, its
// `timeout` (istio/api networking/v1alpha3/virtual_service.proto HTTPRoute.timeout), removed to turn the timeout off
// since the CRD refuses one under 1ms (`duration(self) >= duration('1ms')`, manifests/charts/base/files/
// crd-all.gen.yaml) and Istio writes 0s for an http route without one (istio-virtual-service.ts); an EnvoyFilter
// HTTP_ROUTE MERGE, with a note saying why, when that http route cannot be told.

import { noteType } from '../../model/catalogue-entry.ts';
import type { EvidenceValue, Explanation } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { routeByName } from '../../model/topology.ts';
import { protoDuration } from '../changes.ts';
import { routeActionFields } from '../envoy-resource-pieces.ts';
import { liveRoute, liveRule, routeOfRoute } from '../envoy-gateway-routes.ts';
import type { EnvoyGatewayPiece, FixKind, IstioPiece } from '../fix-kind.ts';
import { note, routeTarget } from '../fix-kind.ts';
import { routePatch } from '../istio-envoy-filter.ts';
import { type NoVirtualServiceHttp, virtualServiceHttpOf } from '../istio-virtual-service.ts';
import { crdDuration } from '../quantity.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** Route `timeout` (0 disables it). */
    'route-timeout': { route: string; ms: number };
  }
}

/** The HTTPRoute rule's own timeout wins over the policy's, so it is the one changed. */
const HTTPROUTE_TIMEOUT_WINS = noteType<{ route: EvidenceValue; rule: EvidenceValue; was: EvidenceValue; timeout: EvidenceValue }>()(
  'httproute-timeout-wins',
  "rule {rule} of HTTPRoute {route} sets timeouts.request ({was}), which wins over any BackendTrafficPolicy requestTimeout: the rule's own timeout is set to {timeout} instead",
);
/** Without the Kubernetes objects, the HTTPRoute rule may set its own timeout: said with the patch that changes it there. */
const HTTPROUTE_TIMEOUT_MAY_WIN = noteType<{
  route: EvidenceValue;
  namespace: EvidenceValue;
  name: EvidenceValue;
  rule: EvidenceValue;
  timeout: EvidenceValue;
}>()(
  'httproute-timeout-may-win',
  'rule {rule} of HTTPRoute {route} wins over any BackendTrafficPolicy requestTimeout if it sets timeouts.request, which the proxy\'s configuration cannot tell (no Kubernetes objects were read): if it does, set it there instead, kubectl -n {namespace} patch httproute {name} --type json -p \'[{"op":"add","path":"/spec/rules/{rule}/timeouts/request","value":"{timeout}"}]\'',
);
/** Istio: the timeout is removed rather than set to 0s, which the VirtualService CRD refuses. */
const TIMEOUT_REMOVED = noteType<{ virtualService: EvidenceValue; http: EvidenceValue }>()(
  'istio-virtualservice-timeout-removed',
  'the timeout of http[{http}] in VirtualService {virtualService} is removed rather than set to 0s: the VirtualService CRD refuses a timeout under 1ms, and Istio writes timeout 0s (no route timeout) for an http route that sets none',
);
/** Istio fallbacks: why the fix is an EnvoyFilter patch, not the VirtualService's timeout. */
const ROUTE_NOT_KEPT = noteType<{ route: EvidenceValue; edit: EvidenceValue }>()(
  'istio-route-not-kept',
  "the dump's entry of route {route} was not kept (envoy-doctor keeps about 16 MiB of a dump's resources whole), so the VirtualService it came from is not known: if one sets its timeout, {edit} on that http route instead of applying this EnvoyFilter patch",
);
const NO_VIRTUAL_SERVICE = noteType<{ route: EvidenceValue }>()(
  'istio-route-without-virtualservice',
  'route {route} names no VirtualService in its metadata (filter_metadata.istio.config): Istio writes timeout 0s on the routes it builds without one, so an EnvoyFilter or another control plane set this timeout; change it there, or apply this EnvoyFilter patch over it',
);
const FROM_GATEWAY_API = noteType<{
  route: EvidenceValue;
  virtualService: EvidenceValue;
  httpRoute?: EvidenceValue;
  rule?: EvidenceValue;
  timeout: EvidenceValue;
}>()(
  'istio-route-from-gateway-api',
  "route {route} comes from a Gateway API route[? (rule {rule} of HTTPRoute {httpRoute})], whose VirtualService {virtualService} Istio generates and does not store: set the rule's timeouts.request (and timeouts.backendRequest, if set) to {timeout} there (0s: Istio writes no route timeout); this EnvoyFilter patch sets the route meanwhile",
);
const HTTP_INDEX_UNKNOWN = noteType<{
  route: EvidenceValue;
  virtualService: EvidenceValue;
  namespace: EvidenceValue;
  name: EvidenceValue;
  edit: EvidenceValue;
}>()(
  'istio-virtualservice-http-unknown',
  'route {route} comes from VirtualService {virtualService}, which was not read, and it is not the first route that VirtualService gives its virtual host, so its http route cannot be told: {edit} on that http route (kubectl -n {namespace} edit virtualservice {name}) and delete this EnvoyFilter then; it sets the route meanwhile',
);
const HTTP_NOT_IDENTIFIED = noteType<{
  route: EvidenceValue;
  virtualService: EvidenceValue;
  name: EvidenceValue;
  timeout: EvidenceValue;
  candidates: EvidenceValue;
  edit: EvidenceValue;
}>()(
  'istio-virtualservice-http-not-identified',
  'VirtualService {virtualService} was read, but not exactly one of its http routes gives route {route} ({name}, timeout {timeout}; by name: {candidates}): it changed since the dump, or something else (an EnvoyFilter) sets the timeout; {edit} on the http route it comes from, or apply this EnvoyFilter patch, which sets the route meanwhile',
);

/** What changing the VirtualService's timeout means: removing it (off) or setting it. */
const vsEdit = (ms: number) => (ms === 0 ? 'remove its timeout' : `set timeout: ${protoDuration(ms)}`);

/** The note that says why the Istio fix is an EnvoyFilter patch. */
function fallbackNote(why: NoVirtualServiceHttp, c: { route: string; ms: number }): Explanation {
  const route = c.route;
  switch (why.missing) {
    case 'route-not-kept':
      return note(ROUTE_NOT_KEPT, { route, edit: vsEdit(c.ms) });
    case 'no-virtual-service':
      return note(NO_VIRTUAL_SERVICE, { route });
    case 'gateway-api': {
      const rule = why.httpRoute !== undefined && why.rule !== undefined ? { httpRoute: why.httpRoute, rule: why.rule } : {};
      return note(FROM_GATEWAY_API, { route, virtualService: why.virtualService, ...rule, timeout: crdDuration(c.ms) });
    }
    case 'index-unknown':
      return note(HTTP_INDEX_UNKNOWN, { route, virtualService: `${why.namespace}/${why.name}`, namespace: why.namespace, name: why.name, edit: vsEdit(c.ms) });
    case 'not-identified':
      return note(HTTP_NOT_IDENTIFIED, {
        route,
        virtualService: `${why.namespace}/${why.name}`,
        name: why.routeName === '' ? 'unnamed' : `named ${why.routeName}`,
        timeout: protoDuration(why.timeoutMs),
        candidates: why.candidates.length > 0 ? why.candidates.map((i) => `http[${i}]`).join(', ') : 'none',
        edit: vsEdit(c.ms),
      });
  }
}

/** Istio: the timeout of the VirtualService http route the route came from, else an EnvoyFilter patch saying why. */
function istioPiece(s: Snapshot, c: { route: string; ms: number }): IstioPiece {
  const http = virtualServiceHttpOf(s, c.route);
  if ('missing' in http)
    return { lands: 'traffic', envoyFilterPatch: routePatch(s, c.route, { route: { timeout: protoDuration(c.ms) } }), notes: [fallbackNote(http, c)] };
  // The CRD refuses a timeout under 1ms: off is no timeout at all, which Istio writes as 0s.
  const notes = c.ms === 0 ? [note(TIMEOUT_REMOVED, { virtualService: `${http.namespace}/${http.name}`, http: http.index })] : [];
  return { lands: 'virtual-service-http', http, fields: { timeout: c.ms === 0 ? null : protoDuration(c.ms) }, notes };
}

/** The HTTPRoute rule that sets its own request timeout, changed instead of a policy; else the policy's field. */
function envoyGatewayPiece(s: Snapshot, c: { route: string; ms: number }): EnvoyGatewayPiece {
  const route = routeOfRoute(s, c.route);
  const was = route ? (liveRule(s, route)?.timeouts as { request?: unknown } | undefined)?.request : undefined;
  const live = route ? liveRoute(s, route) : undefined;
  if (!route || route.rule === undefined || was === undefined || !live) {
    const spec = { timeout: { http: { requestTimeout: crdDuration(c.ms) } } };
    // Without the Kubernetes objects, an explicit route timeout from an HTTPRoute may be the rule's own (it wins).
    const explicit = routeByName(s, c.route)?.timeoutMs.source === 'explicit';
    if (route?.kind !== 'HTTPRoute' || route.rule === undefined || s.kubernetes !== undefined || !explicit) return { lands: 'traffic-policy', spec };
    const values = { route: `${route.namespace}/${route.name}`, namespace: route.namespace, name: route.name, rule: route.rule, timeout: crdDuration(c.ms) };
    return { lands: 'traffic-policy', spec, notes: [note(HTTPROUTE_TIMEOUT_MAY_WIN, values)] };
  }
  const timeout = crdDuration(c.ms);
  const wins = note(HTTPROUTE_TIMEOUT_WINS, { route: `${route.namespace}/${route.name}`, rule: route.rule, was: String(was), timeout });
  return { lands: 'httproute-rule', route, live, rule: route.rule, fields: { timeouts: { request: timeout } }, notes: [wins] };
}

/** A route's request timeout, rendered for every flavor. */
export const fixKind: FixKind<'route-timeout'> = {
  kind: 'route-timeout',
  target: routeTarget,
  envoy: (_s, c) => routeActionFields(c.kind, { timeout: protoDuration(c.ms) }),
  envoyGateway: envoyGatewayPiece,
  istio: istioPiece,
  noteTypes: [
    HTTPROUTE_TIMEOUT_WINS,
    HTTPROUTE_TIMEOUT_MAY_WIN,
    TIMEOUT_REMOVED,
    ROUTE_NOT_KEPT,
    NO_VIRTUAL_SERVICE,
    FROM_GATEWAY_API,
    HTTP_INDEX_UNKNOWN,
    HTTP_NOT_IDENTIFIED,
  ],
};
