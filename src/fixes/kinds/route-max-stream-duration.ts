// route-max-stream-duration: a route's `max_stream_duration.max_stream_duration` (RouteAction.MaxStreamDuration,
// api/envoy/config/route/v3/route_components.proto; 0 lifts the connection manager's limit for that route); Envoy
// Gateway BackendTrafficPolicy `timeout.http.maxStreamDuration`, which sets it; Istio: an EnvoyFilter HTTP_ROUTE MERGE.

import { protoDuration } from '../changes.ts';
import { routeActionFields } from '../envoy-resource-pieces.ts';
import { type FixKind, routeTarget } from '../fix-kind.ts';
import { routePatch } from '../istio-envoy-filter.ts';
import { crdDuration } from '../quantity.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** Route `max_stream_duration.max_stream_duration` (0 lifts the connection manager's limit for that route). */
    'route-max-stream-duration': { route: string; ms: number };
  }
}

/** A route's maximum stream duration, rendered for every flavor. */
export const fixKind: FixKind<'route-max-stream-duration'> = {
  kind: 'route-max-stream-duration',
  target: routeTarget,
  envoy: (_s, c) => routeActionFields(c.kind, { max_stream_duration: { max_stream_duration: protoDuration(c.ms) } }),
  // 0s lets streams run.
  envoyGateway: (_s, c) => ({ lands: 'traffic-policy', spec: { timeout: { http: { maxStreamDuration: crdDuration(c.ms) } } } }),
  istio: (s, c) => ({
    lands: 'traffic',
    envoyFilterPatch: routePatch(s, c.route, { route: { max_stream_duration: { max_stream_duration: protoDuration(c.ms) } } }),
  }),
};
