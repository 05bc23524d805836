// route-idle-timeout: a route's stream idle timeout, RouteAction `idle_timeout`
// (api/envoy/config/route/v3/route_components.proto; 0 disables it); Envoy Gateway BackendTrafficPolicy
// `timeout.http.streamIdleTimeout` (from 1.8, versions.ts); Istio: an EnvoyFilter HTTP_ROUTE MERGE.

import { protoDuration } from '../changes.ts';
import { routeActionFields } from '../envoy-resource-pieces.ts';
import { type FixKind, routeTarget } from '../fix-kind.ts';
import { routePatch } from '../istio-envoy-filter.ts';
import { crdDuration } from '../quantity.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** Route `idle_timeout`: the stream idle timeout for that route (0 disables it). */
    'route-idle-timeout': { route: string; ms: number };
  }
}

/** A route's stream idle timeout, rendered for every flavor. */
export const fixKind: FixKind<'route-idle-timeout'> = {
  kind: 'route-idle-timeout',
  target: routeTarget,
  envoy: (_s, c) => routeActionFields(c.kind, { idle_timeout: protoDuration(c.ms) }),
  envoyGateway: (_s, c) => ({ lands: 'traffic-policy', spec: { timeout: { http: { streamIdleTimeout: crdDuration(c.ms) } } } }),
  istio: (s, c) => ({ lands: 'traffic', envoyFilterPatch: routePatch(s, c.route, { route: { idle_timeout: protoDuration(c.ms) } }) }),
};
