// Envoy route configurations (api/envoy/config/route/v3/route.proto, route_components.proto) into the model's routes:
// one per route of each virtual host.

import type { Route } from '../model/snapshot.ts';
import { protoDurationMs } from './durations.ts';
import { ENVOY_DEFAULT_ROUTE_TIMEOUT_MS } from './envoy-defaults.ts';
import { gatewayResources, sourcesFor } from './gateway-sources.ts';
import { arr, bool, field, isObj, obj, type Obj, str } from './proto-json.ts';

/** A route configuration's routes, virtual host by virtual host, in their order. */
export function parseRouteConfig(rc: Obj): Route[] {
  const routeConfigName = str(rc, 'name') ?? '';
  const routes: Route[] = [];
  for (const vh of arr(rc, 'virtual_hosts')) {
    const virtualHost = str(vh, 'name') ?? '';
    const domains = arr(vh, 'domains').filter((d): d is string => typeof d === 'string');
    arr(vh, 'routes').forEach((r, index) => {
      if (!isObj(r)) return;
      const action = obj(r, 'route');
      const name = str(r, 'name') ?? `${virtualHost}/routes/${index}`;
      const clusters: string[] = [];
      const direct = str(action, 'cluster');
      if (direct) clusters.push(direct);
      for (const wc of arr(action, 'weighted_clusters', 'clusters')) {
        const n = str(wc, 'name');
        if (n) clusters.push(n);
      }
      const timeout = protoDurationMs(field(action, 'timeout'));
      const upgrades: Record<string, boolean> = {};
      for (const u of arr(action, 'upgrade_configs')) {
        const type = str(u, 'upgrade_type');
        if (type) upgrades[type.toLowerCase()] = bool(u, 'enabled') !== false;
      }
      const route: Route = {
        name,
        routeConfigName,
        virtualHost,
        domains,
        clusters,
        timeoutMs: timeout === undefined ? { value: ENVOY_DEFAULT_ROUTE_TIMEOUT_MS, source: 'envoy-default' } : { value: timeout, source: 'explicit' },
        upgrades,
        perFilterConfig: Object.keys(obj(r, 'typed_per_filter_config') ?? {}),
        disabledFilters: Object.entries(obj(r, 'typed_per_filter_config') ?? {})
          .filter(([, config]) => bool(config, 'disabled') === true)
          .map(([name]) => name),
        sources: sourcesFor(r, name),
      };
      const policies = gatewayResources(r, 'policies');
      if (policies.length > 0) route.policies = policies;
      const idle = protoDurationMs(field(action, 'idle_timeout'));
      if (idle !== undefined) route.idleTimeoutMs = idle;
      const maxStream = protoDurationMs(field(obj(action, 'max_stream_duration'), 'max_stream_duration'));
      if (maxStream !== undefined) route.maxStreamDurationMs = maxStream;
      routes.push(route);
    });
  }
  return routes;
}
