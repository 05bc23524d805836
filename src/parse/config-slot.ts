// What each member of a /config_dump entry adds to the model (api/envoy/admin/v3/config_dump_shared.proto:
// ClustersConfigDump, ListenersConfigDump, RoutesConfigDump), read as soon as it arrives so its raw resources can be
// let go; and which array members of those entries are read element by element.

import type { Cluster, Listener, RejectedListener, Route } from '../model/snapshot.ts';
import { LiveResourceKeeper } from '../model/live-resources.ts';
import { clusterHints, HINT_ISTIO_NAME, ISTIO_LISTENER_NAMES, listenerHints } from './proxy-flavor.ts';
import { camelName, field, isObj, num, obj, type Obj, str } from './proto-json.ts';
import { parseCluster } from './xds-clusters.ts';
import { listenerAddress, parseListener } from './xds-listeners.ts';
import { parseRouteConfig } from './xds-routes.ts';

/**
 * What one member of a `configs[]` entry (or one single-resource entry) adds to the model, read at once so the raw
 * resources can be let go. A key seen again in the same entry empties its slot, as JSON.parse keeps the last value.
 */
export class ConfigSlot {
  /** Raw resources read: clusters, listeners and route configurations. */
  resources = 0;
  /** The flavor hints of the clusters read (HINT_* bits). */
  hints = 0;
  clusters: Cluster[] = [];
  listeners: Listener[] = [];
  routes: Route[] = [];
  rejected: RejectedListener[] = [];
  /** Routes of the route configurations inlined in the listeners, listed after every RDS route as before. */
  inlineRoutes: Route[] = [];
  /** The entry type its elements were read under as they arrived (streaming), if they were. */
  streamedAs: string | undefined;
  /** Keeps the raw resources beside the model objects, for fixes merged into the whole live object. */
  private readonly live: LiveResourceKeeper;

  constructor(live: LiveResourceKeeper = new LiveResourceKeeper()) {
    this.live = live;
  }

  /** Forgets what was read (the member's key repeated, or its entry turned out to be of another type). */
  clear(): void {
    this.resources = 0;
    this.hints = 0;
    this.clusters = [];
    this.listeners = [];
    this.routes = [];
    this.rejected = [];
    this.inlineRoutes = [];
    this.streamedAs = undefined;
  }

  /** Reads one cluster, when `value` is an object. */
  addCluster(value: unknown, origin: 'static' | 'dynamic'): void {
    if (!isObj(value)) return;
    this.resources++;
    this.hints |= clusterHints(value);
    const cluster = parseCluster(value, origin);
    if (!cluster) return;
    this.clusters.push(cluster);
    this.live.keep(cluster, value);
  }

  /** Reads one listener and the route configurations inlined in it, when `value` is an object. */
  addListener(value: unknown, origin: 'static' | 'dynamic', state: Listener['state']): void {
    if (!isObj(value)) return;
    this.resources++;
    const inline: Obj[] = [];
    const listener = parseListener(value, origin, state, inline);
    if (!listener) return;
    this.hints |= listenerHints(listener);
    this.listeners.push(listener);
    this.live.keep(listener, value);
    for (const rc of inline) {
      const routes = parseRouteConfig(rc);
      this.live.keepRoutes(routes, rc);
      for (const r of routes) this.inlineRoutes.push(r);
    }
  }

  /** Reads the `error_state` of a dynamic listener entry: the configuration Envoy rejected and why. */
  addRejectedListener(entry: unknown, error: Obj): void {
    this.resources++;
    const failed = obj(error, 'failed_configuration');
    const name = str(entry, 'name') ?? str(failed, 'name') ?? '';
    const rejected: RejectedListener = {
      name,
      details: str(error, 'details') ?? '',
      stillServing: obj(entry, 'active_state', 'listener') !== undefined,
    };
    if (ISTIO_LISTENER_NAMES.has(name)) this.hints |= HINT_ISTIO_NAME;
    if (failed && (obj(failed, 'address') || str(failed, 'stat_prefix'))) rejected.address = listenerAddress(failed);
    const port = num(failed, 'address', 'socket_address', 'port_value');
    if (port !== undefined) rejected.port = port;
    const attempt = str(error, 'last_update_attempt');
    if (attempt) rejected.lastUpdateAttempt = attempt;
    const version = str(error, 'version_info');
    if (version) rejected.versionInfo = version;
    this.rejected.push(rejected);
  }

  /** Reads one route configuration, when `value` is an object. */
  addRouteConfig(value: unknown): void {
    if (!isObj(value)) return;
    this.resources++;
    // One push per route: spreading a route configuration's routes as arguments overflows the stack past ~120,000.
    const routes = parseRouteConfig(value);
    this.live.keepRoutes(routes, value);
    for (const r of routes) this.routes.push(r);
  }
}

/** Reads one element of an entry's array member into a slot. */
type ElementReader = (element: unknown, slot: ConfigSlot) => void;

const DYNAMIC_LISTENER_STATES = [
  ['active_state', 'active'],
  ['warming_state', 'warming'],
  ['draining_state', 'draining'],
] as const;

/** Both spellings of each member name, to its reader. */
function members(readers: Record<string, ElementReader>): ReadonlyMap<string, ElementReader> {
  const out = new Map<string, ElementReader>();
  for (const [snake, read] of Object.entries(readers)) out.set(snake, read).set(camelName(snake), read);
  return out;
}

/** The array members of the admin's `*ConfigDump` entries the model reads, per entry type, read element by element. */
export const ENTRY_ARRAYS: ReadonlyMap<string, ReadonlyMap<string, ElementReader>> = new Map([
  [
    'ClustersConfigDump',
    members({
      static_clusters: (c, slot) => slot.addCluster(field(c, 'cluster'), 'static'),
      dynamic_active_clusters: (c, slot) => slot.addCluster(field(c, 'cluster'), 'dynamic'),
    }),
  ],
  [
    'ListenersConfigDump',
    members({
      static_listeners: (l, slot) => slot.addListener(obj(l, 'listener'), 'static', 'active'),
      dynamic_listeners: (l, slot) => {
        for (const [key, state] of DYNAMIC_LISTENER_STATES) slot.addListener(obj(l, key, 'listener'), 'dynamic', state);
        const error = obj(l, 'error_state');
        if (error) slot.addRejectedListener(l, error);
      },
      // Envoy <= 1.13 (admin v2alpha): one array per state.
      dynamic_active_listeners: (l, slot) => slot.addListener(obj(l, 'listener'), 'dynamic', 'active'),
      dynamic_warming_listeners: (l, slot) => slot.addListener(obj(l, 'listener'), 'dynamic', 'warming'),
      dynamic_draining_listeners: (l, slot) => slot.addListener(obj(l, 'listener'), 'dynamic', 'draining'),
    }),
  ],
  [
    'RoutesConfigDump',
    members({
      static_route_configs: (r, slot) => slot.addRouteConfig(obj(r, 'route_config')),
      dynamic_route_configs: (r, slot) => slot.addRouteConfig(obj(r, 'route_config')),
    }),
  ],
]);

/** Every member name some entry type reads element by element. */
export const ENTRY_ARRAY_KEYS: ReadonlySet<string> = new Set([...ENTRY_ARRAYS.values()].flatMap((m) => [...m.keys()]));

/** The reader of an entry member's elements when entries of `type` read that member, else undefined. */
export function entryArrayReader(type: string, key: string): ElementReader | undefined {
  return ENTRY_ARRAYS.get(type)?.get(key);
}
