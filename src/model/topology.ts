// Derived relations between listeners, routes and clusters: which traffic can be upgraded (WebSocket)
// and where it enters and leaves. Route `upgrade_configs` override the connection manager's
// (docs/root/intro/arch_overview/http/upgrades.rst).

import { HTTP_STATS } from './envoy-stats.ts';
import type { Cluster, ConnectionManager, Listener, Route, Snapshot } from './snapshot.ts';
import { stat } from './stats-view.ts';

/** A connection manager together with the listener that holds it. */
export interface PlacedConnectionManager {
  listener: Listener;
  connectionManager: ConnectionManager;
}

/** Every HTTP connection manager of the snapshot's active listeners. */
export function connectionManagers(s: Snapshot): PlacedConnectionManager[] {
  const out: PlacedConnectionManager[] = [];
  for (const listener of s.listeners) {
    if (listener.state !== 'active') continue;
    for (const chain of listener.filterChains) {
      if (chain.connectionManager) out.push({ listener, connectionManager: chain.connectionManager });
    }
  }
  return out;
}

/** True when `upgradeType` requests are accepted on `route` given the connection manager's settings. */
export function routeAllowsUpgrade(route: Route, cm: ConnectionManager | undefined, upgradeType = 'websocket'): boolean {
  const own = route.upgrades[upgradeType];
  if (own !== undefined) return own;
  return cm?.upgradeTypes.includes(upgradeType) ?? false;
}

const managersByRouteConfig = new WeakMap<Snapshot, Map<string | undefined, PlacedConnectionManager[]>>();

/** Connection managers serving a route configuration (a new list each time), indexed once per snapshot. */
export function managersForRouteConfig(s: Snapshot, routeConfigName: string): PlacedConnectionManager[] {
  let index = managersByRouteConfig.get(s);
  if (!index) {
    index = Map.groupBy(connectionManagers(s), (p) => p.connectionManager.routeConfigName);
    managersByRouteConfig.set(s, index);
  }
  return [...(index.get(routeConfigName) ?? [])];
}

/** A route and where it is served. */
interface ServedRoute {
  route: Route;
  managers: PlacedConnectionManager[];
  websocket: boolean;
}

const servedCache = new WeakMap<Snapshot, ServedRoute[]>();

/** All routes with the connection managers serving them and whether they accept WebSocket upgrades. */
export function servedRoutes(s: Snapshot): ServedRoute[] {
  const cached = servedCache.get(s);
  if (cached) return cached;
  const byConfig = new Map<string, PlacedConnectionManager[]>();
  for (const p of connectionManagers(s)) {
    const name = p.connectionManager.routeConfigName;
    if (name === undefined) continue;
    const list = byConfig.get(name) ?? [];
    list.push(p);
    byConfig.set(name, list);
  }
  const served = s.routes.map((route) => {
    const managers = byConfig.get(route.routeConfigName) ?? [];
    const websocket = managers.length > 0 ? managers.some((m) => routeAllowsUpgrade(route, m.connectionManager)) : routeAllowsUpgrade(route, undefined);
    return { route, managers, websocket };
  });
  servedCache.set(s, served);
  return served;
}

/** Clusters reached by WebSocket-capable routes, with those routes and connection managers. */
interface WebSocketCluster {
  cluster: Cluster;
  routes: Route[];
  managers: PlacedConnectionManager[];
}

const webSocketClusterCache = new WeakMap<Snapshot, readonly WebSocketCluster[]>();

/** Clusters that carry WebSocket-capable routes, found once per snapshot (several analyzers ask). */
export function webSocketClusters(s: Snapshot): readonly WebSocketCluster[] {
  const cached = webSocketClusterCache.get(s);
  if (cached) return cached;
  const byCluster = new Map<string, WebSocketCluster>();
  for (const served of servedRoutes(s)) {
    if (!served.websocket) continue;
    for (const name of served.route.clusters) {
      const cluster = s.clusters.get(name);
      if (!cluster || isControlPlaneCluster(s, name)) continue;
      let entry = byCluster.get(name);
      if (!entry) {
        entry = { cluster, routes: [], managers: [] };
        byCluster.set(name, entry);
      }
      entry.routes.push(served.route);
      for (const m of served.managers) if (!entry.managers.includes(m)) entry.managers.push(m);
    }
  }
  const found = [...byCluster.values()];
  webSocketClusterCache.set(s, found);
  return found;
}

/** A listener serving WebSocket-capable routes, with those routes and its connection managers. */
interface WebSocketListener {
  listener: Listener;
  routes: Route[];
  managers: PlacedConnectionManager[];
}

const webSocketListenerCache = new WeakMap<Snapshot, readonly WebSocketListener[]>();

/** Listeners whose connection managers serve at least one WebSocket-capable route, found once per snapshot. */
export function webSocketListeners(s: Snapshot): readonly WebSocketListener[] {
  const cached = webSocketListenerCache.get(s);
  if (cached) return cached;
  const byListener = new Map<Listener, WebSocketListener>();
  for (const served of servedRoutes(s)) {
    if (!served.websocket) continue;
    for (const m of served.managers) {
      let entry = byListener.get(m.listener);
      if (!entry) {
        entry = { listener: m.listener, routes: [], managers: [] };
        byListener.set(m.listener, entry);
      }
      if (!entry.routes.includes(served.route)) entry.routes.push(served.route);
      if (!entry.managers.includes(m)) entry.managers.push(m);
    }
  }
  const found = [...byListener.values()];
  webSocketListenerCache.set(s, found);
  return found;
}

/** Upgrades counted on the connection managers (`downstream_cx_upgrades_total`); undefined when no stats say. */
export function upgradesOn(s: Snapshot, managers: PlacedConnectionManager[]): number | undefined {
  let total: number | undefined;
  for (const prefix of new Set(managers.map((m) => m.connectionManager.statPrefix))) {
    const v = stat(s, 'http', prefix, HTTP_STATS.cxUpgradesTotal);
    if (v !== undefined) total = (total ?? 0) + v;
  }
  return total;
}

const byStatName = new WeakMap<Snapshot, Map<string, string>>();

/** The cluster name behind a stats name (`alt_stat_name` differs from the name); the stats name itself when unknown. */
export function clusterNameOfStat(s: Snapshot, statName: string): string {
  let map = byStatName.get(s);
  if (!map) {
    map = new Map([...s.clusters.values()].filter((c) => c.statName !== c.name).map((c) => [c.statName, c.name]));
    byStatName.set(s, map);
  }
  return map.get(statName) ?? statName;
}

const managersByCluster = new WeakMap<Snapshot, Map<string, PlacedConnectionManager[]>>();

/** Connection managers (with listeners) that route to a cluster. */
export function managersForCluster(s: Snapshot, clusterName: string): PlacedConnectionManager[] {
  let index = managersByCluster.get(s);
  if (!index) {
    index = new Map();
    for (const served of servedRoutes(s)) {
      for (const name of served.route.clusters) {
        const list = index.get(name) ?? [];
        for (const m of served.managers) if (!list.includes(m)) list.push(m);
        index.set(name, list);
      }
    }
    managersByCluster.set(s, index);
  }
  return index.get(clusterName) ?? [];
}

const routeIndexes = new WeakMap<Snapshot, Map<string, Route>>();

/** A snapshot's routes by name, built once per snapshot. */
export function routeByName(s: Snapshot, name: string): Route | undefined {
  let index = routeIndexes.get(s);
  if (!index) {
    index = new Map(s.routes.map((r) => [r.name, r]));
    routeIndexes.set(s, index);
  }
  return index.get(name);
}

const listenerIndexes = new WeakMap<Snapshot, Map<string, Listener>>();

/** A snapshot's listener of a name (the first, as `listeners.find` gives it), indexed once per snapshot. */
export function listenerByName(s: Snapshot, name: string): Listener | undefined {
  let index = listenerIndexes.get(s);
  if (!index) {
    index = new Map();
    for (const l of s.listeners) if (!index.has(l.name)) index.set(l.name, l);
    listenerIndexes.set(s, index);
  }
  return index.get(name);
}

/**
 * Cluster names control planes give their gRPC service clusters when no bootstrap says so: Istio's `xds-grpc` and
 * `sds-grpc`, Envoy Gateway's `xds_cluster`, Kuma's `ads_cluster` and `access_log_sink`, Consul's `local_agent`, OSM's
 * `osm-controller`.
 */
const CONTROL_PLANE_NAMES = new Set(['xds-grpc', 'sds-grpc', 'xds_cluster', 'ads_cluster', 'access_log_sink', 'local_agent', 'osm-controller']);

/**
 * True for a cluster that carries the proxy's own gRPC streams to its control plane (xDS, SDS, log and metric sinks):
 * long-lived by design, closed with a stream active on every reconnect, and never a WebSocket path.
 */
export function isControlPlaneCluster(s: Snapshot, name: string): boolean {
  const cluster = s.clusters.get(name) ?? s.clusters.get(clusterNameOfStat(s, name));
  return cluster?.controlPlane === true || CONTROL_PLANE_NAMES.has(cluster?.name ?? name);
}

const tcpOnlyIndexes = new WeakMap<Snapshot, Set<string>>();

/**
 * True for a cluster only TCP proxies send to (`envoy.filters.network.tcp_proxy` `cluster` or `weighted_clusters`) and
 * no HTTP route does. Each tunnel is one long "request" of the TCP connection pool, so every close of such a cluster
 * counts as a close with a request active (source/common/tcp_proxy/tcp_proxy.cc, envoy/upstream/stats.h).
 */
export function isTcpOnlyCluster(s: Snapshot, name: string): boolean {
  let index = tcpOnlyIndexes.get(s);
  if (!index) {
    index = new Set();
    for (const listener of s.listeners) {
      for (const chain of listener.filterChains) {
        const tcp = chain.tcpProxy;
        if (!tcp) continue;
        if (tcp.cluster !== undefined) index.add(tcp.cluster);
        for (const c of tcp.weightedClusters ?? []) index.add(c);
      }
    }
    for (const served of servedRoutes(s)) for (const c of served.route.clusters) index.delete(c);
    tcpOnlyIndexes.set(s, index);
  }
  return index.has(s.clusters.get(name)?.name ?? clusterNameOfStat(s, name));
}

/** A connection manager with the WebSocket-capable routes it serves. */
interface WebSocketManager {
  connectionManager: ConnectionManager;
  listeners: string[];
  routes: Route[];
}

/** Connection managers (by stat prefix) serving WebSocket-capable routes. */
export function webSocketManagers(s: Snapshot): Map<string, WebSocketManager> {
  const out = new Map<string, WebSocketManager>();
  for (const served of servedRoutes(s)) {
    if (!served.websocket) continue;
    for (const { listener, connectionManager } of served.managers) {
      let entry = out.get(connectionManager.statPrefix);
      if (!entry) {
        entry = { connectionManager, listeners: [], routes: [] };
        out.set(connectionManager.statPrefix, entry);
      }
      if (!entry.listeners.includes(listener.name)) entry.listeners.push(listener.name);
      if (!entry.routes.includes(served.route)) entry.routes.push(served.route);
    }
  }
  return out;
}
