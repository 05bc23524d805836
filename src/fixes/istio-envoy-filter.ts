// What an Istio proxy is and how an EnvoyFilter patch reaches one of its Envoy resources (istio/api
// networking/v1alpha3/envoy_filter.proto: `applyTo`, `match.context`, `patch.operation: MERGE`):
// - `context` from what the proxy is: a gateway (`router~` node id) is patched with GATEWAY, a sidecar with
//   SIDECAR_INBOUND for inbound clusters, listeners (virtualInbound) and route configurations (`inbound|...`) and
//   SIDECAR_OUTBOUND for the rest;
// - HTTP_ROUTE patches match the route configuration and virtual host as well as the route name, which Istio
//   repeats across virtual hosts (`default`).
// Cluster names: `outbound|<port>|<subset>|<host>`, `inbound|<port>||`. The Istio config a resource was generated
// from is its `metadata.filter_metadata.istio.config`.

import { liveResource } from '../model/live-resources.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { routeByName } from '../model/topology.ts';

type Obj = Record<string, unknown>;

const HCM = {
  name: 'envoy.filters.network.http_connection_manager',
  type: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
};
const TCP_PROXY = { name: 'envoy.filters.network.tcp_proxy', type: 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy' };

/** A cluster as Istio names it. */
interface IstioCluster {
  direction: 'outbound' | 'inbound';
  port: number;
  subset: string;
  host: string;
}

/** Parses Istio's cluster naming; undefined for clusters Istio did not name that way. */
export function istioCluster(name: string): IstioCluster | undefined {
  const m = /^(outbound|inbound)\|(\d+)\|([^|]*)\|(.*)$/.exec(name.replace(/;$/, ''));
  if (!m) return undefined;
  return { direction: m[1] as IstioCluster['direction'], port: Number(m[2]), subset: m[3] as string, host: m[4] as string };
}

/** What the proxy is, from its node id (`router~` for gateways, `sidecar~`) or, without one, its listeners. */
export function proxyKind(s: Snapshot): 'gateway' | 'sidecar' | 'unknown' {
  const id = s.node?.id ?? '';
  if (id.startsWith('router~')) return 'gateway';
  if (id.startsWith('sidecar~')) return 'sidecar';
  if (s.listeners.some((l) => l.name === 'virtualInbound' || l.name === 'virtualOutbound')) return 'sidecar';
  return 'unknown';
}

/** The Istio config a resource was generated from (`metadata.filter_metadata.istio.config`): kind, namespace, name. */
export function istioConfigOf(model: object | undefined): { kind: string; namespace: string; name: string } | undefined {
  const live = model ? liveResource(model) : undefined;
  const config = live?.metadata as { filter_metadata?: { istio?: { config?: unknown } }; filterMetadata?: { istio?: { config?: unknown } } } | undefined;
  const path = config?.filter_metadata?.istio?.config ?? config?.filterMetadata?.istio?.config;
  const m = typeof path === 'string' ? /\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(path) : null;
  return m ? { namespace: m[1] as string, kind: m[2] as string, name: m[3] as string } : undefined;
}

type Context = 'GATEWAY' | 'SIDECAR_INBOUND' | 'SIDECAR_OUTBOUND' | undefined;

function contextFor(kind: ReturnType<typeof proxyKind>, inbound: boolean | undefined): Context {
  if (kind === 'gateway') return 'GATEWAY';
  if (inbound === undefined) return undefined;
  return inbound ? 'SIDECAR_INBOUND' : 'SIDECAR_OUTBOUND';
}

function merge(applyTo: string, context: Context, match: Obj, value: Obj): Obj {
  return { applyTo, match: { ...(context ? { context } : {}), ...match }, patch: { operation: 'MERGE', value } };
}

function listenerContext(s: Snapshot, name: string): Context {
  const kind = proxyKind(s);
  return contextFor(kind, kind === 'sidecar' ? name === 'virtualInbound' || name.startsWith('inbound') : undefined);
}

/** An EnvoyFilter patch merging fields into a cluster. */
export function clusterPatch(s: Snapshot, name: string, value: Obj): Obj {
  const kind = proxyKind(s);
  const ic = istioCluster(name);
  if (!ic) return merge('CLUSTER', contextFor(kind, undefined), { cluster: { name } }, value);
  const match = { cluster: { portNumber: ic.port, ...(ic.host ? { service: ic.host } : {}), ...(ic.subset ? { subset: ic.subset } : {}) } };
  return merge('CLUSTER', contextFor(kind, ic.direction === 'inbound'), match, value);
}

/** An EnvoyFilter patch merging fields into a listener. */
export function listenerPatch(s: Snapshot, listener: string, value: Obj): Obj {
  return merge('LISTENER', listenerContext(s, listener), { listener: { name: listener } }, value);
}

/** An EnvoyFilter patch merging fields into a listener's network filters of one name. */
function networkFilterPatch(s: Snapshot, listener: string, filter: { name: string; type: string }, typed: Obj): Obj {
  const match = { listener: { name: listener, filterChain: { filter: { name: filter.name } } } };
  return merge('NETWORK_FILTER', listenerContext(s, listener), match, { name: filter.name, typed_config: { '@type': filter.type, ...typed } });
}

/** An EnvoyFilter patch merging fields into a listener's HTTP connection managers. */
export function connectionManagerPatch(s: Snapshot, listener: string, typed: Obj): Obj {
  return networkFilterPatch(s, listener, HCM, typed);
}

/** An EnvoyFilter patch merging fields into a listener's TCP proxies. */
export function tcpProxyPatch(s: Snapshot, listener: string, typed: Obj): Obj {
  return networkFilterPatch(s, listener, TCP_PROXY, typed);
}

/**
 * True when the dump's entry of a route has no name (envoy-doctor names it by its place, `<virtual host>/routes/<i>`;
 * Istio leaves the routes of an unnamed VirtualService http route unnamed): an HTTP_ROUTE patch, which selects a
 * route by name or action only, cannot reach it.
 */
export function unnamedRoute(s: Snapshot, name: string): boolean {
  const r = routeByName(s, name);
  const raw = r ? liveResource(r) : undefined;
  return raw !== undefined && !(typeof raw.name === 'string' && raw.name !== '');
}

/** An EnvoyFilter patch merging fields into a route entry. */
export function routePatch(s: Snapshot, name: string, value: Obj): Obj {
  const kind = proxyKind(s);
  // Istio repeats route names (`default`) across virtual hosts: the route configuration and virtual host narrow it.
  const r = routeByName(s, name);
  const inbound = r ? r.routeConfigName.startsWith('inbound|') : undefined;
  const configuration = r ? { name: r.routeConfigName, vhost: { name: r.virtualHost, route: { name } } } : { vhost: { route: { name } } };
  return merge('HTTP_ROUTE', contextFor(kind, kind === 'sidecar' ? inbound : undefined), { routeConfiguration: configuration }, value);
}
