// Envoy /config_dump (api/envoy/admin/v3/config_dump*.proto) into the model's clusters, listeners and routes.
// Accepts Envoy's snake_case, egctl's camelCase wrapped per pod, YAML, and plain lists of xDS resources
// (istioctl proxy-config -o yaml, Envoy Gateway golden files). Secrets are never read. Resources are read one at a
// time (ConfigDumpReader), so a streamed dump never holds its raw resources all at once.
// Defaults: api/envoy/config/cluster/v3/cluster.proto, listener/v3/listener.proto, route/v3/route_components.proto,
// extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto.

import type {
  CircuitBreaker,
  Cluster,
  ConnectionManager,
  FilterChain,
  Flavor,
  Listener,
  RejectedListener,
  Route,
  SourceObject,
  Sourced,
  TcpKeepalive,
  TcpProxy,
  UpstreamProtocol,
} from '../model/snapshot.ts';
import type { ProxyNode } from '../model/snapshot.ts';
import type { StatsConfig } from '../model/stats-config.ts';
import { protoDurationMs } from './durations.ts';
import { InputError } from './input-error.ts';
import { proxyNode } from './proxy-node.ts';
import { LiveResourceKeeper } from '../model/live-resources.ts';
import { arr, bool, camelName, field, isObj, num, obj, type Obj, str, typeName } from './proto-json.ts';
import { releaseOfBuildVersion } from './server-info.ts';
import { parseStatsConfig } from './stats-config.ts';

/** Envoy's default `per_connection_buffer_limit_bytes` for clusters and listeners (1 MiB). */
export const ENVOY_DEFAULT_BUFFER_LIMIT = 1_048_576;
/** The value Envoy Gateway writes on every cluster and listener unless a policy sets `connection.bufferLimit`. */
export const ENVOY_GATEWAY_DEFAULT_BUFFER_LIMIT = 32_768;
/** Envoy's default route timeout (docs/root/faq/configuration/timeouts.rst). */
export const ENVOY_DEFAULT_ROUTE_TIMEOUT_MS = 15_000;
/** Envoy's default HTTP connection manager stream idle timeout. */
export const ENVOY_DEFAULT_STREAM_IDLE_TIMEOUT_MS = 300_000;
/** Envoy's default tcp_proxy idle timeout. */
export const ENVOY_DEFAULT_TCP_PROXY_IDLE_TIMEOUT_MS = 3_600_000;

/** The configuration part of one proxy, before stats are attached. */
export interface ParsedConfig {
  id: string;
  namespace?: string;
  flavor: Flavor;
  envoyVersion?: string;
  clusters: Map<string, Cluster>;
  listeners: Listener[];
  /** Dynamic listeners Envoy rejected (`error_state`). */
  rejectedListeners: RejectedListener[];
  routes: Route[];
  /** The bootstrap's `node.id`, when the dump has a bootstrap that names its node. */
  nodeId?: string;
  /** The bootstrap's stats matcher and deferred creation, when the dump had a bootstrap. */
  statsConfig?: StatsConfig;
  /** The bootstrap's node: id, and Istio's workload labels and name. */
  node?: ProxyNode;
}

/** One proxy's raw dump inside a document, with the name it was filed under. */
export interface RawDump {
  id: string;
  namespace?: string;
  /** `configs[]` entries, or xDS resources when the document was a plain resource list. */
  configs: unknown[];
}

/**
 * Splits a parsed document into per-proxy dumps: a single `/config_dump`, egctl's
 * `{namespace: {pod: dump}}` or `{"xds": {name: dump}}`, or a list of xDS resources.
 */
export function splitDocument(doc: unknown, source: string, fallbackId: string): RawDump[] {
  if (isObj(doc) && Array.isArray(doc.configs)) return [{ id: fallbackId, configs: doc.configs }];
  if (Array.isArray(doc)) {
    if (doc.length > 0 && doc.every(isObj)) return [{ id: fallbackId, configs: doc }];
  } else if (isObj(doc)) {
    const dumps: RawDump[] = [];
    for (const [outerKey, outer] of Object.entries(doc)) {
      if (!isObj(outer)) continue;
      for (const [innerKey, inner] of Object.entries(outer)) {
        if (isObj(inner) && Array.isArray(inner.configs)) {
          dumps.push(
            outerKey === 'xds'
              ? { id: innerKey, configs: inner.configs }
              : { id: innerKey, namespace: outerKey, configs: inner.configs },
          );
        }
      }
      if (Array.isArray(outer.configs)) dumps.push({ id: outerKey, configs: outer.configs });
    }
    if (dumps.length > 0) return dumps;
  }
  throw new InputError(
    source,
    'not an Envoy config dump; expected /config_dump JSON or YAML (an object with configs[]), ' +
      "egctl's {namespace: {pod: {configs}}} output, or a list of clusters, listeners or route configurations",
  );
}

/** Flavor hints one cluster gives; the flavor is decided once every cluster is read. */
const HINT_GATEWAY_METADATA = 1;
const HINT_GATEWAY_ROUTE_NAME = 2;
const HINT_GATEWAY_XDS = 4;
const HINT_ISTIO_NAME = 8;

/** Istio's listener names (pilot/pkg/networking/core) and its network and HTTP filters. */
const ISTIO_LISTENER_NAMES = new Set(['virtualInbound', 'virtualOutbound', 'main_internal', 'connect_originate', 'connect_terminate']);
const ISTIO_RESOURCE_NAME = /^(outbound|inbound|inbound-vip)\||^(BlackHoleCluster|PassthroughCluster|InboundPassthroughCluster(Ipv4|Ipv6)?)$/;

/** Istio hints of a listener already read: its name, its filters, and the clusters and route configurations it names. */
function listenerHints(listener: Listener): number {
  if (ISTIO_LISTENER_NAMES.has(listener.name)) return HINT_ISTIO_NAME;
  for (const chain of listener.filterChains) {
    if (chain.tcpProxy?.cluster !== undefined && ISTIO_RESOURCE_NAME.test(chain.tcpProxy.cluster)) return HINT_ISTIO_NAME;
    const cm = chain.connectionManager;
    if (!cm) continue;
    if (cm.httpFilters.some((f) => f.startsWith('istio.')) || (cm.routeConfigName !== undefined && ISTIO_RESOURCE_NAME.test(cm.routeConfigName))) return HINT_ISTIO_NAME;
  }
  return 0;
}

function clusterHints(cluster: Obj): number {
  const name = str(cluster, 'name') ?? '';
  let hints = 0;
  if (obj(cluster, 'metadata', 'filter_metadata', 'envoy-gateway')) hints |= HINT_GATEWAY_METADATA;
  if (GATEWAY_ROUTE_CLUSTER.test(name)) hints |= HINT_GATEWAY_ROUTE_NAME;
  if (name === 'xds_cluster' && xdsServerHosts(cluster).some((h) => h.startsWith('envoy-gateway'))) hints |= HINT_GATEWAY_XDS;
  if (ISTIO_RESOURCE_NAME.test(name)) hints |= HINT_ISTIO_NAME;
  return hints;
}

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
const ENTRY_ARRAYS: ReadonlyMap<string, ReadonlyMap<string, ElementReader>> = new Map([
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
const ENTRY_ARRAY_KEYS: ReadonlySet<string> = new Set([...ENTRY_ARRAYS.values()].flatMap((m) => [...m.keys()]));

/** The reader of an entry member's elements when entries of `type` read that member, else undefined. */
export function entryArrayReader(type: string, key: string): ElementReader | undefined {
  return ENTRY_ARRAYS.get(type)?.get(key);
}

/** The members of one `configs[]` entry that may be read element by element, in the order they appeared, each with its slot. */
export class EntryMembers {
  private readonly reader: ConfigDumpReader;
  readonly slots = new Map<string, ConfigSlot>();

  constructor(reader: ConfigDumpReader) {
    this.reader = reader;
  }

  /** The slot of member `key` (none for members no entry type reads): new the first time, emptied when the key repeats. */
  slot(key: string): ConfigSlot | undefined {
    if (!ENTRY_ARRAY_KEYS.has(key)) return undefined;
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.reader.newSlot();
      this.slots.set(key, slot);
    } else slot.clear();
    return slot;
  }

  /** Reads what the complete entry holds beyond the members already read as they arrived. */
  end(entry: Obj): void {
    this.reader.endEntry(this, entry);
  }
}

/**
 * Reads one proxy's `configs[]` entries (or bare xDS resources) into the model, resource by resource: each is
 * turned into its model object as soon as it is read, so no raw resource has to be kept. A streamed dump hands
 * over the elements of an entry's arrays as they arrive; a parsed document hands over whole entries.
 */
export class ConfigDumpReader {
  private bootstrap: Obj | undefined;
  private readonly slots: ConfigSlot[] = [];
  /** One budget of kept live resources for the whole proxy. */
  private readonly live = new LiveResourceKeeper();

  /** A slot for the next member, after every slot so far. */
  newSlot(): ConfigSlot {
    const slot = new ConfigSlot(this.live);
    this.slots.push(slot);
    return slot;
  }

  /** Reads one whole entry. */
  readEntry(entry: unknown): void {
    if (!isObj(entry)) return;
    const entryMembers = new EntryMembers(this);
    for (const key of Object.keys(entry)) entryMembers.slot(key);
    entryMembers.end(entry);
  }

  /**
   * Reads what an entry holds once it is complete: the members not already read as they arrived. Members read
   * under a type the entry turned out not to have (a repeated `@type`) are dropped, as the whole parse ignores them.
   */
  endEntry(entryMembers: EntryMembers, entry: Obj): void {
    const type = typeName(entry);
    const arrays = ENTRY_ARRAYS.get(type);
    for (const [key, slot] of entryMembers.slots) {
      const read = arrays?.get(key);
      if (slot.streamedAs !== undefined) {
        if (read === undefined) slot.clear();
        continue;
      }
      if (read !== undefined) for (const element of arr(entry, key)) read(element, slot);
    }
    if (arrays === undefined) this.readSingleEntry(type, entry);
  }

  private readSingleEntry(type: string, entry: Obj): void {
    switch (type) {
      case 'BootstrapConfigDump':
        this.bootstrap = obj(entry, 'bootstrap');
        return;
      // /config_dump?resource=... prints one entry per resource.
      case 'StaticCluster':
      case 'DynamicCluster':
        this.newSlot().addCluster(field(entry, 'cluster'), type === 'StaticCluster' ? 'static' : 'dynamic');
        return;
      case 'StaticListener':
      case 'DynamicListener': {
        const slot = this.newSlot();
        slot.addListener(obj(entry, 'listener') ?? obj(entry, 'active_state', 'listener'), type === 'StaticListener' ? 'static' : 'dynamic', 'active');
        const error = obj(entry, 'error_state');
        if (error) slot.addRejectedListener(entry, error);
        return;
      }
      case 'StaticRouteConfig':
      case 'DynamicRouteConfig':
        this.newSlot().addRouteConfig(obj(entry, 'route_config'));
        return;
      case 'Cluster':
        this.newSlot().addCluster(entry, 'dynamic');
        return;
      case 'Listener':
        this.newSlot().addListener(entry, 'dynamic', 'active');
        return;
      case 'RouteConfiguration':
        this.newSlot().addRouteConfig(entry);
        return;
      default:
        if (type === '') this.readBareResource(entry);
    }
  }

  /** Resource lists without `@type` (golden files, proxy-config YAML): recognised by their fields. */
  private readBareResource(entry: Obj): void {
    if (field(entry, 'virtual_hosts') !== undefined) this.newSlot().addRouteConfig(entry);
    else if (field(entry, 'filter_chains') !== undefined || field(entry, 'default_filter_chain') !== undefined || field(entry, 'address') !== undefined && field(entry, 'connect_timeout') === undefined) {
      this.newSlot().addListener(entry, 'dynamic', 'active');
    } else if (
      ['connect_timeout', 'type', 'lb_policy', 'eds_cluster_config', 'load_assignment', 'per_connection_buffer_limit_bytes', 'cluster_type'].some(
        (k) => field(entry, k) !== undefined,
      )
    ) {
      this.newSlot().addCluster(entry, 'dynamic');
    }
  }

  /** The proxy's model, once every entry is read. */
  finish(proxy: { id: string; namespace?: string }, source: string): ParsedConfig {
    let resources = 0;
    let hints = 0;
    for (const slot of this.slots) {
      resources += slot.resources;
      hints |= slot.hints;
    }
    if (!this.bootstrap && resources === 0) {
      throw new InputError(
        source,
        'holds no bootstrap, clusters, listeners or routes; expected an Envoy /config_dump with ClustersConfigDump, ListenersConfigDump or RoutesConfigDump entries',
      );
    }
    const flavor = detectFlavor(this.bootstrap, hints, proxy.namespace);
    const clusters = new Map<string, Cluster>();
    const listeners: Listener[] = [];
    const rejectedListeners: RejectedListener[] = [];
    const routes: Route[] = [];
    const inlineRoutes: Route[] = [];
    const grpcServices = this.bootstrap ? grpcServiceClusters(this.bootstrap) : new Set<string>();
    for (const slot of this.slots) {
      for (const cluster of slot.clusters) {
        cluster.bufferLimitBytes = flavoredBufferLimit(cluster.bufferLimitBytes, flavor);
        if (grpcServices.has(cluster.name)) cluster.controlPlane = true;
        clusters.set(cluster.name, cluster);
      }
      for (const rejected of slot.rejected) rejectedListeners.push(rejected);
      for (const listener of slot.listeners) {
        listener.bufferLimitBytes = flavoredBufferLimit(listener.bufferLimitBytes, flavor);
        if (listener.sources.length === 0 && flavor === 'envoy-gateway') listener.sources = gatewayListenerFromName(listener.name);
        listeners.push(listener);
      }
      for (const r of slot.routes) routes.push(r);
      for (const r of slot.inlineRoutes) inlineRoutes.push(r);
    }
    for (const r of inlineRoutes) routes.push(r);
    const result: ParsedConfig = { id: proxy.id, flavor, clusters, listeners, rejectedListeners, routes };
    const nodeId = str(this.bootstrap, 'node', 'id');
    if (nodeId) result.nodeId = nodeId;
    const namespace = proxy.namespace ?? istioNamespace(this.bootstrap);
    if (namespace !== undefined) result.namespace = namespace;
    const version = this.bootstrap ? envoyVersion(this.bootstrap) : undefined;
    if (version) result.envoyVersion = version;
    if (this.bootstrap) {
      result.statsConfig = parseStatsConfig(this.bootstrap);
      // The whole bootstrap, kept beside its stats config, for a bootstrap fix merged into it.
      this.live.keep(result.statsConfig, this.bootstrap);
    }
    const node = proxyNode(this.bootstrap);
    if (node) result.node = node;
    return result;
  }
}

/** Parses one proxy's dump into the model. */
export function parseConfigDump(raw: RawDump, source: string): ParsedConfig {
  const reader = new ConfigDumpReader();
  for (const entry of raw.configs) reader.readEntry(entry);
  return reader.finish(raw, source);
}

/**
 * The proxy's name from its node id: the pod of an Istio node id (`sidecar~10.0.0.1~web-1.shop~shop.svc.cluster.local`
 * is `web-1`; its namespace is read apart), else the node id itself (Envoy Gateway's is the pod name).
 */
export function proxyNameOfNode(nodeId: string): string {
  const istio = /^(?:sidecar|router|waypoint|ztunnel)~[^~]*~([^~.]+)\.[^~]*~/.exec(nodeId);
  return istio?.[1] ?? nodeId;
}

/** The namespace in an Istio node id: `sidecar~10.0.0.1~web-1.shop~shop.svc.cluster.local`. */
function istioNamespace(bootstrap: Obj | undefined): string | undefined {
  const id = str(bootstrap, 'node', 'id') ?? '';
  const m = /^(?:sidecar|router|waypoint)~[^~]*~[^~.]+\.([^~]+)~/.exec(id);
  return m?.[1] ?? (str(bootstrap, 'node', 'metadata', 'NAMESPACE') || undefined);
}

/** Envoy's version from the bootstrap node: `user_agent_build_version`, or the legacy `build_version` string (Envoy <= 1.14). */
function envoyVersion(bootstrap: Obj): string | undefined {
  const v = obj(bootstrap, 'node', 'user_agent_build_version', 'version');
  if (!v) {
    const legacy = str(bootstrap, 'node', 'build_version');
    return legacy === undefined ? undefined : releaseOfBuildVersion(legacy);
  }
  return `${num(v, 'major_number') ?? 0}.${num(v, 'minor_number') ?? 0}.${num(v, 'patch') ?? 0}`;
}

/**
 * Clusters the bootstrap names as gRPC services (`envoy_grpc.cluster_name`): xDS (`dynamic_resources.ads_config`,
 * `cds_config`, `lds_config`), SDS, access log and metrics sinks (api/envoy/config/core/v3/grpc_service.proto).
 * They carry long-lived gRPC streams, not the proxy's traffic.
 */
function grpcServiceClusters(bootstrap: Obj): Set<string> {
  const out = new Set<string>();
  const visit = (v: unknown, depth: number): void => {
    if (depth > 12) return;
    if (Array.isArray(v)) for (const x of v) visit(x, depth + 1);
    else if (isObj(v)) {
      const name = str(v, 'envoy_grpc', 'cluster_name');
      if (name) out.add(name);
      for (const [key, x] of Object.entries(v)) if (key !== 'static_resources' && key !== 'staticResources') visit(x, depth + 1);
    }
  };
  visit(bootstrap, 0);
  // Static clusters carry no gRPC services, but their listeners' access logs may: read those too.
  for (const l of arr(bootstrap, 'static_resources', 'listeners')) visit(l, 1);
  return out;
}

const GATEWAY_ROUTE_CLUSTER = /^(httproute|grpcroute|tcproute|tlsroute|udproute)\/([^/]+)\/([^/]+)\/rule\/(\d+)/;

/** Envoy Gateway, Istio or plain Envoy, from the node, the clusters' hints and the namespace the dump was filed under. */
function detectFlavor(bootstrap: Obj | undefined, hints: number, namespace: string | undefined): Flavor {
  const node = obj(bootstrap, 'node');
  const nodeId = str(node, 'id') ?? '';
  const metadata = obj(node, 'metadata');
  if (metadata && (metadata.ISTIO_VERSION !== undefined || metadata.MESH_ID !== undefined)) return 'istio';
  if (/^(sidecar|router|waypoint|ztunnel)~/.test(nodeId)) return 'istio';
  if (hints & (HINT_GATEWAY_METADATA | HINT_GATEWAY_ROUTE_NAME)) return 'envoy-gateway';
  if (namespace === 'envoy-gateway-system' || /envoy-gateway/.test(str(node, 'cluster') ?? '')) return 'envoy-gateway';
  if (hints & HINT_GATEWAY_XDS) return 'envoy-gateway';
  if (hints & HINT_ISTIO_NAME) return 'istio';
  return 'envoy';
}

/** Hosts of a cluster's static endpoints (the xDS server of a bootstrap). */
function xdsServerHosts(cluster: Obj): string[] {
  const hosts: string[] = [];
  for (const e of arr(cluster, 'load_assignment', 'endpoints')) {
    for (const lb of arr(e, 'lb_endpoints')) {
      const host = str(lb, 'endpoint', 'address', 'socket_address', 'address');
      if (host) hosts.push(host);
    }
  }
  return hosts;
}

function sourcedBufferLimit(value: number | undefined): Sourced<number> {
  return value === undefined ? { value: ENVOY_DEFAULT_BUFFER_LIMIT, source: 'envoy-default' } : { value, source: 'explicit' };
}

/** Envoy Gateway sets 32 KiB on every cluster and listener: under Envoy Gateway that value is its default. */
function flavoredBufferLimit(limit: Sourced<number>, flavor: Flavor): Sourced<number> {
  if (flavor === 'envoy-gateway' && limit.source === 'explicit' && limit.value === ENVOY_GATEWAY_DEFAULT_BUFFER_LIMIT) {
    return { value: limit.value, source: 'envoy-gateway-default' };
  }
  return limit;
}

/**
 * Objects named in `filter_metadata["envoy-gateway"].resources` (Envoy Gateway >= 1.1), or in its `policies` (>= 1.7:
 * the policies applied to the resource, internal/xds/translator).
 */
function gatewayResources(resource: Obj, list: 'resources' | 'policies' = 'resources'): SourceObject[] {
  const out: SourceObject[] = [];
  for (const r of arr(resource, 'metadata', 'filter_metadata', 'envoy-gateway', list)) {
    const kind = str(r, 'kind');
    const name = str(r, 'name');
    if (!kind || !name) continue;
    const s: SourceObject = { kind, name, namespace: str(r, 'namespace') ?? '' };
    const section = str(r, 'sectionName') ?? str(r, 'section_name');
    if (section) s.sectionName = section;
    out.push(s);
  }
  return out;
}

const ROUTE_KINDS: Record<string, string> = {
  httproute: 'HTTPRoute',
  grpcroute: 'GRPCRoute',
  tcproute: 'TCPRoute',
  tlsroute: 'TLSRoute',
  udproute: 'UDPRoute',
};

/** The xRoute rule an Envoy Gateway cluster or route name stands for (`httproute/<ns>/<name>/rule/<i>`). */
export function routeRuleFromName(name: string): SourceObject | undefined {
  const m = GATEWAY_ROUTE_CLUSTER.exec(name);
  if (!m) return undefined;
  return { kind: ROUTE_KINDS[m[1] as string] as string, namespace: m[2] as string, name: m[3] as string, rule: Number(m[4]) };
}

function sourcesFor(resource: Obj, name: string): SourceObject[] {
  const fromName = routeRuleFromName(name);
  const fromMetadata = gatewayResources(resource);
  if (fromName) {
    const same = fromMetadata.find((s) => s.kind === fromName.kind && s.name === fromName.name && s.namespace === fromName.namespace);
    if (same) same.rule = fromName.rule as number;
    else fromMetadata.unshift(fromName);
  }
  return fromMetadata;
}

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function parseCluster(c: Obj, origin: 'static' | 'dynamic'): Cluster | undefined {
  const name = str(c, 'name');
  if (!name) return undefined;
  const protocolOptions = obj(c, 'typed_extension_protocol_options', HTTP_PROTOCOL_OPTIONS);
  const common = obj(protocolOptions, 'common_http_protocol_options') ?? obj(c, 'common_http_protocol_options');
  const tls = upstreamTls(c);
  const cluster: Cluster = {
    name,
    statName: str(c, 'alt_stat_name') ?? name,
    bufferLimitBytes: sourcedBufferLimit(num(c, 'per_connection_buffer_limit_bytes')),
    upstreamProtocol: upstreamProtocol(c, protocolOptions),
    upstreamAlpn: tls ? arr(tls, 'common_tls_context', 'alpn_protocols').filter((x): x is string => typeof x === 'string') : [],
    upstreamTls: tls !== undefined,
    circuitBreakers: circuitBreakers(c),
    sources: sourcesFor(c, name),
    origin,
  };
  const keepalive = obj(c, 'upstream_connection_options', 'tcp_keepalive');
  if (keepalive) cluster.tcpKeepalive = keepaliveFromProto(keepalive);
  const endpoints = inlineEndpoints(c);
  if (endpoints) cluster.endpoints = endpoints;
  const idle = protoDurationMs(field(common, 'idle_timeout'));
  if (idle !== undefined) cluster.idleTimeoutMs = idle;
  const maxDuration = protoDurationMs(field(common, 'max_connection_duration'));
  if (maxDuration !== undefined) cluster.maxConnectionDurationMs = maxDuration;
  const maxStream = protoDurationMs(field(common, 'max_stream_duration'));
  if (maxStream !== undefined) cluster.maxStreamDurationMs = maxStream;
  return cluster;
}

const LOOPBACK = /^(127\.|::1$|localhost$)/;

/** A cluster's inline endpoints (`load_assignment`, or the legacy `hosts` of Envoy <= 1.12): all loopback?, and their ports. */
function inlineEndpoints(c: Obj): Cluster['endpoints'] {
  const addresses: Obj[] = [];
  for (const e of arr(c, 'load_assignment', 'endpoints')) {
    for (const lb of arr(e, 'lb_endpoints')) {
      const sa = obj(lb, 'endpoint', 'address', 'socket_address');
      if (sa) addresses.push(sa);
    }
  }
  for (const h of arr(c, 'hosts')) {
    const sa = obj(h, 'socket_address');
    if (sa) addresses.push(sa);
  }
  if (addresses.length === 0) return undefined;
  const ports = [...new Set(addresses.map((sa) => num(sa, 'port_value')).filter((p): p is number => p !== undefined))];
  return { loopback: addresses.every((sa) => LOOPBACK.test(str(sa, 'address') ?? '')), ports };
}

function keepaliveFromProto(k: Obj): TcpKeepalive {
  const out: TcpKeepalive = {};
  const probes = num(k, 'keepalive_probes');
  const time = num(k, 'keepalive_time');
  const interval = num(k, 'keepalive_interval');
  if (probes !== undefined) out.probes = probes;
  if (time !== undefined) out.timeSeconds = time;
  if (interval !== undefined) out.intervalSeconds = interval;
  return out;
}

function upstreamTls(c: Obj): Obj | undefined {
  // Envoy <= 1.12: the cluster's own `tls_context` (v2 UpstreamTlsContext).
  const legacy = obj(c, 'tls_context');
  if (legacy) return legacy;
  const candidates = [obj(c, 'transport_socket'), ...arr(c, 'transport_socket_matches').map((m) => obj(m, 'transport_socket'))];
  for (const ts of candidates) {
    const typed = obj(ts, 'typed_config');
    if (typed && /UpstreamTlsContext$/.test(typeName(typed))) return typed;
    if (str(ts, 'name') === 'envoy.transport_sockets.tls') return typed ?? {};
  }
  return undefined;
}

function upstreamProtocol(c: Obj, options: Obj | undefined): UpstreamProtocol {
  if (options) {
    const explicit = obj(options, 'explicit_http_config');
    if (explicit) {
      if (field(explicit, 'http2_protocol_options') !== undefined) return 'http2';
      if (field(explicit, 'http3_protocol_options') !== undefined) return 'http3';
      return 'http1';
    }
    if (field(options, 'use_downstream_protocol_config') !== undefined) return 'downstream';
    if (field(options, 'auto_config') !== undefined) return 'auto';
  }
  if (str(c, 'protocol_selection') === 'USE_DOWNSTREAM_PROTOCOL') return 'downstream';
  if (field(c, 'http2_protocol_options') !== undefined) return 'http2';
  return 'http1';
}

function circuitBreakers(c: Obj): CircuitBreaker[] {
  const byPriority = new Map<string, CircuitBreaker>();
  for (const t of arr(c, 'circuit_breakers', 'thresholds')) {
    const priority = str(t, 'priority') === 'HIGH' ? 'high' : 'default';
    byPriority.set(priority, {
      priority,
      maxConnections: num(t, 'max_connections') ?? 1024,
      maxPendingRequests: num(t, 'max_pending_requests') ?? 1024,
      maxRequests: num(t, 'max_requests') ?? 1024,
      maxRetries: num(t, 'max_retries') ?? 3,
    });
  }
  if (!byPriority.has('default')) {
    byPriority.set('default', { priority: 'default', maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 });
  }
  return [...byPriority.values()];
}

/** Listener address as it appears in `listener.<address>.` stats (`0.0.0.0_10443`, `[__]_443`). */
function listenerAddress(l: Obj): string {
  const statPrefix = str(l, 'stat_prefix');
  if (statPrefix) return statPrefix;
  const sa = obj(l, 'address', 'socket_address');
  if (sa) {
    const ip = str(sa, 'address') ?? '';
    const port = num(sa, 'port_value') ?? 0;
    const host = ip.includes(':') ? `[${ip}]` : ip;
    return `${host}:${port}`.replace(/:/g, '_');
  }
  const pipe = str(l, 'address', 'pipe', 'path');
  if (pipe) return pipe;
  return str(l, 'name') ?? '';
}

const SOCKET_OPTION = { SO_KEEPALIVE: '1/9', TCP_KEEPIDLE: '6/4', TCP_KEEPINTVL: '6/5', TCP_KEEPCNT: '6/6' } as const;

/** TCP keepalive from listener `socket_options` (Linux levels and names). */
function listenerKeepalive(l: Obj): TcpKeepalive | undefined {
  const values = new Map<string, number>();
  for (const o of arr(l, 'socket_options')) {
    const key = `${num(o, 'level') ?? ''}/${num(o, 'name') ?? ''}`;
    const v = num(o, 'int_value');
    if (v !== undefined) values.set(key, v);
  }
  if (!values.get(SOCKET_OPTION.SO_KEEPALIVE)) return undefined;
  const out: TcpKeepalive = {};
  const idle = values.get(SOCKET_OPTION.TCP_KEEPIDLE);
  const interval = values.get(SOCKET_OPTION.TCP_KEEPINTVL);
  const probes = values.get(SOCKET_OPTION.TCP_KEEPCNT);
  if (idle !== undefined) out.timeSeconds = idle;
  if (interval !== undefined) out.intervalSeconds = interval;
  if (probes !== undefined) out.probes = probes;
  return out;
}

/** Envoy Gateway listener names are `<gateway-namespace>/<gateway>/<listener>`: read when the metadata names nothing. */
function gatewayListenerFromName(name: string): SourceObject[] {
  const parts = name.split('/');
  if (parts.length === 3 && parts.every((p) => p !== '')) {
    return [{ kind: 'Gateway', namespace: parts[0] as string, name: parts[1] as string, sectionName: parts[2] as string }];
  }
  return [];
}

function parseListener(
  l: Obj,
  origin: 'static' | 'dynamic',
  state: Listener['state'],
  inlineRouteConfigs: Obj[],
): Listener | undefined {
  // Envoy names a listener without a name itself (a UUID the dump does not show): its address stands in.
  const name = str(l, 'name') ?? (obj(l, 'address') ? listenerAddress(l) : undefined);
  if (!name) return undefined;
  const chains = [...arr(l, 'filter_chains'), ...(obj(l, 'default_filter_chain') ? [obj(l, 'default_filter_chain')] : [])];
  const filterChains: FilterChain[] = [];
  for (const chain of chains) {
    if (isObj(chain)) filterChains.push(parseFilterChain(chain, inlineRouteConfigs));
  }
  const listener: Listener = {
    name,
    address: listenerAddress(l),
    bufferLimitBytes: sourcedBufferLimit(num(l, 'per_connection_buffer_limit_bytes')),
    filterChains,
    state,
    bindsSocket: field(l, 'internal_listener') === undefined && bool(l, 'bind_to_port') !== false && obj(l, 'address', 'envoy_internal_address') === undefined,
    sources: gatewayResources(l),
    origin,
  };
  const keepalive = listenerKeepalive(l);
  if (keepalive) listener.tcpKeepalive = keepalive;
  return listener;
}

/** Network filter names of Envoy <= 1.13, to the ones in use now (source/extensions/filters/network/well_known_names.h). */
const LEGACY_NETWORK_FILTERS: Record<string, string> = {
  'envoy.http_connection_manager': 'envoy.filters.network.http_connection_manager',
  'envoy.tcp_proxy': 'envoy.filters.network.tcp_proxy',
};

/** HTTP filter names of Envoy <= 1.13 that an analyzer reads, to the ones in use now. */
const LEGACY_HTTP_FILTERS: Record<string, string> = {
  'envoy.buffer': 'envoy.filters.http.buffer',
  'envoy.router': 'envoy.filters.http.router',
};

/**
 * A filter's configuration and type: `typed_config` (unwrapping a `TypedStruct`), or the legacy `config` Struct of
 * Envoy <= 1.12, whose type is only its filter name.
 */
function filterConfig(filter: unknown): { type: string; config: Obj | undefined } {
  const typed = obj(filter, 'typed_config');
  if (typed && /TypedStruct$/.test(typeName(typed))) {
    const url = str(typed, 'type_url') ?? '';
    return { type: url.slice(url.lastIndexOf('.') + 1), config: obj(typed, 'value') };
  }
  if (typed) return { type: typeName(typed), config: typed };
  return { type: '', config: obj(filter, 'config') };
}

function parseFilterChain(chain: Obj, inlineRouteConfigs: Obj[]): FilterChain {
  // Envoy <= 1.12 puts the DownstreamTlsContext in the chain's `tls_context`.
  const legacyTls = obj(chain, 'tls_context');
  const tlsContext = legacyTls ?? obj(chain, 'transport_socket', 'typed_config');
  const tls = legacyTls !== undefined || (tlsContext !== undefined && /DownstreamTlsContext$/.test(typeName(tlsContext)));
  const fc: FilterChain = {
    name: str(chain, 'name') ?? '',
    alpn: tls ? arr(tlsContext, 'common_tls_context', 'alpn_protocols').filter((x): x is string => typeof x === 'string') : [],
    tls,
    serverNames: arr(chain, 'filter_chain_match', 'server_names').filter((x): x is string => typeof x === 'string'),
  };
  for (const filter of arr(chain, 'filters')) {
    const { type, config } = filterConfig(filter);
    const name = str(filter, 'name') ?? '';
    const filterName = LEGACY_NETWORK_FILTERS[name] ?? name;
    if (type === 'HttpConnectionManager' || filterName === 'envoy.filters.network.http_connection_manager') {
      fc.connectionManager = parseConnectionManager(config ?? {}, inlineRouteConfigs);
    } else if (type === 'TcpProxy' || filterName === 'envoy.filters.network.tcp_proxy') {
      fc.tcpProxy = parseTcpProxy(config ?? {});
    }
  }
  return fc;
}

function upgradeTypes(list: unknown[]): string[] {
  const out: string[] = [];
  for (const u of list) {
    const type = str(u, 'upgrade_type');
    if (type && bool(u, 'enabled') !== false) out.push(type.toLowerCase());
  }
  return out;
}

function httpFilterName(f: unknown): string {
  const name = str(f, 'name') ?? '';
  return LEGACY_HTTP_FILTERS[name] ?? name;
}

function parseConnectionManager(hcm: Obj, inlineRouteConfigs: Obj[]): ConnectionManager {
  const common = obj(hcm, 'common_http_protocol_options');
  const streamIdle = protoDurationMs(field(hcm, 'stream_idle_timeout'));
  const cm: ConnectionManager = {
    statPrefix: str(hcm, 'stat_prefix') ?? '',
    upgradeTypes: upgradeTypes(arr(hcm, 'upgrade_configs')),
    streamIdleTimeoutMs:
      streamIdle === undefined ? { value: ENVOY_DEFAULT_STREAM_IDLE_TIMEOUT_MS, source: 'envoy-default' } : { value: streamIdle, source: 'explicit' },
    http2AllowConnect: bool(hcm, 'http2_protocol_options', 'allow_connect') ?? false,
    codecType: str(hcm, 'codec_type') ?? 'AUTO',
    httpFilters: arr(hcm, 'http_filters').map(httpFilterName).filter((n) => n !== ''),
    disabledHttpFilters: arr(hcm, 'http_filters')
      .filter((f) => bool(f, 'disabled') === true)
      .map(httpFilterName)
      .filter((n) => n !== ''),
    addUserAgent: bool(hcm, 'add_user_agent') ?? false,
  };
  const rdsName = str(hcm, 'rds', 'route_config_name');
  const inline = obj(hcm, 'route_config');
  if (rdsName) cm.routeConfigName = rdsName;
  else if (inline) {
    const inlineName = str(inline, 'name') ?? `inline:${cm.statPrefix}`;
    cm.routeConfigName = inlineName;
    inlineRouteConfigs.push({ ...inline, name: inlineName });
  }
  const requestTimeout = protoDurationMs(field(hcm, 'request_timeout'));
  if (requestTimeout !== undefined) cm.requestTimeoutMs = requestTimeout;
  const idle = protoDurationMs(field(common, 'idle_timeout'));
  if (idle !== undefined) cm.idleTimeoutMs = idle;
  const maxConnection = protoDurationMs(field(common, 'max_connection_duration'));
  if (maxConnection !== undefined) cm.maxConnectionDurationMs = maxConnection;
  const maxStream = protoDurationMs(field(common, 'max_stream_duration'));
  if (maxStream !== undefined) cm.maxStreamDurationMs = maxStream;
  return cm;
}

function parseTcpProxy(tp: Obj): TcpProxy {
  const idle = protoDurationMs(field(tp, 'idle_timeout'));
  const out: TcpProxy = {
    statPrefix: str(tp, 'stat_prefix') ?? '',
    idleTimeoutMs: idle === undefined ? { value: ENVOY_DEFAULT_TCP_PROXY_IDLE_TIMEOUT_MS, source: 'envoy-default' } : { value: idle, source: 'explicit' },
  };
  const cluster = str(tp, 'cluster');
  if (cluster) out.cluster = cluster;
  const weighted = arr(tp, 'weighted_clusters', 'clusters').map((c) => str(c, 'name')).filter((n): n is string => n !== undefined);
  if (weighted.length > 0) out.weightedClusters = weighted;
  return out;
}

function parseRouteConfig(rc: Obj): Route[] {
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
