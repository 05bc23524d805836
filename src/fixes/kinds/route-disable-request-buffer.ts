// route-disable-request-buffer: request buffering turned off for a route: the buffer filter's per-route config
// `typed_per_filter_config["envoy.filters.http.buffer"]` BufferPerRoute `disabled: true`
// (api/envoy/extensions/filters/http/buffer/v3/buffer.proto); Envoy Gateway: the BackendTrafficPolicy's
// `requestBuffer` removed (a patch cannot delete a field: the whole object is rendered); Istio: an EnvoyFilter
// HTTP_ROUTE MERGE.

import { BUFFER_FILTER } from '../../model/snapshot.ts';
import { BUFFER_PER_ROUTE } from '../envoy-live-edit.ts';
import { type FixKind, routeTarget } from '../fix-kind.ts';
import { routePatch } from '../istio-envoy-filter.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** Request buffering turned off for a route. */
    'route-disable-request-buffer': { route: string };
  }
}

const DISABLED = () => ({ [BUFFER_FILTER]: { '@type': BUFFER_PER_ROUTE, disabled: true } });

/** Request buffering off on a route, rendered for every flavor. */
export const fixKind: FixKind<'route-disable-request-buffer'> = {
  kind: 'route-disable-request-buffer',
  target: routeTarget,
  envoy: () => ({
    lands: 'resource',
    resource: { typed_per_filter_config: DISABLED() },
    merge: (e) => Object.assign(e.sp.child(e.resource, 'typed_per_filter_config'), DISABLED()),
  }),
  envoyGateway: () => ({ lands: 'traffic-policy', lift: { field: ['requestBuffer'], remind: 'new-policy' } }),
  istio: (s, c) => ({ lands: 'traffic', envoyFilterPatch: routePatch(s, c.route, { typed_per_filter_config: DISABLED() }) }),
};
