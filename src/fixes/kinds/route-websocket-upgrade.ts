// route-websocket-upgrade: WebSocket upgrades enabled on a route, RouteAction `upgrade_configs` (UpgradeConfig,
// api/envoy/config/route/v3/route_components.proto): a live `websocket` entry is enabled, else one is appended;
// Envoy Gateway BackendTrafficPolicy `httpUpgrade` (merged by type into the live list); Istio: an EnvoyFilter
// HTTP_ROUTE MERGE.

import { isObj, type Obj } from '../envoy-spelling.ts';
import { type FixKind, routeTarget } from '../fix-kind.ts';
import { routePatch } from '../istio-envoy-filter.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** WebSocket upgrades enabled on a route. */
    'route-websocket-upgrade': { route: string };
  }
}

/** WebSocket upgrades on a route, rendered for every flavor. */
export const fixKind: FixKind<'route-websocket-upgrade'> = {
  kind: 'route-websocket-upgrade',
  target: routeTarget,
  envoy: (_s, c) => ({
    lands: 'resource',
    resource: { route: { upgrade_configs: [{ upgrade_type: 'websocket' }] } },
    merge: (e) => {
      const action = e.routeAction(c.kind);
      if (!action) return;
      const { sp } = e;
      const key = sp.key(action, 'upgrade_configs');
      const list = Array.isArray(action[key]) ? (action[key] as unknown[]) : [];
      action[key] = list;
      const upgradeType = (u: Obj) => sp.get(u, 'upgrade_type');
      const live = list.find((u): u is Obj => isObj(u) && typeof upgradeType(u) === 'string' && (upgradeType(u) as string).toLowerCase() === 'websocket');
      if (live) sp.set(live, 'enabled', true);
      else list.push(sp.spell({ upgrade_type: 'websocket' }));
    },
  }),
  envoyGateway: () => ({ lands: 'traffic-policy', spec: { httpUpgrade: [{ type: 'websocket' }] } }),
  istio: (s, c) => ({ lands: 'traffic', envoyFilterPatch: routePatch(s, c.route, { route: { upgrade_configs: [{ upgrade_type: 'websocket' }] } }) }),
};
