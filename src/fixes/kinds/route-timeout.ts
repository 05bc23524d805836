// route-timeout: a route's request timeout, RouteAction `timeout` (api/envoy/config/route/v3/route_components.proto;
// 0 disables it); Envoy Gateway BackendTrafficPolicy `timeout.http.requestTimeout`, or the HTTPRoute rule's own
// `timeouts.request` where the live rule sets one, since it wins over the policy (sigs.k8s.io/gateway-api
// apis/v1/httproute_types.go HTTPRouteTimeouts); Istio: an EnvoyFilter HTTP_ROUTE MERGE, and a note naming the
// VirtualService the route comes from (its `timeout` is the field to change there).

import { noteType } from '../../model/catalogue-entry.ts';
import type { EvidenceValue, Explanation } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { routeByName } from '../../model/topology.ts';
import { protoDuration } from '../changes.ts';
import { routeActionFields } from '../envoy-live-edit.ts';
import { liveRoute, liveRule, routeOfRoute } from '../envoy-gateway-routes.ts';
import type { EnvoyGatewayPiece, FixKind } from '../fix-kind.ts';
import { note, routeTarget } from '../fix-kind.ts';
import { istioConfigOf, routePatch } from '../istio-envoy-filter.ts';
import { crdDuration, gatewayDuration } from '../quantity.ts';

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
/** Istio: the VirtualService's own timeout is the field to change. */
const VIRTUALSERVICE_TIMEOUT = noteType<{ virtualService: EvidenceValue; route: EvidenceValue; timeout: EvidenceValue }>()(
  'istio-virtualservice-timeout',
  "route {route} is generated from VirtualService {virtualService}: set timeout: {timeout} on its http route there (Istio's own field); this EnvoyFilter patch does the same meanwhile and should be removed then",
);

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
  istio: (s, c) => {
    const config = istioConfigOf(routeByName(s, c.route));
    const notes: Explanation[] =
      config?.kind === 'virtual-service'
        ? [note(VIRTUALSERVICE_TIMEOUT, { virtualService: `${config.namespace}/${config.name}`, route: c.route, timeout: gatewayDuration(c.ms) })]
        : [];
    return { lands: 'traffic', envoyFilterPatch: routePatch(s, c.route, { route: { timeout: protoDuration(c.ms) } }), notes };
  },
  noteTypes: [HTTPROUTE_TIMEOUT_WINS, HTTPROUTE_TIMEOUT_MAY_WIN, VIRTUALSERVICE_TIMEOUT],
};
