// Envoy /config_dump (api/envoy/admin/v3/config_dump*.proto) into the model's clusters, listeners and routes.
// Accepts Envoy's snake_case, egctl's camelCase wrapped per pod, YAML, and plain lists of xDS resources
// (istioctl proxy-config -o yaml, Envoy Gateway golden files). Secrets are never read. Resources are read one at a
// time (ConfigDumpReader), so a streamed dump never holds its raw resources all at once.
// Each kind of resource is read in its own module (xds-clusters.ts, xds-listeners.ts, xds-routes.ts), into the slots
// of config-slot.ts; the flavor is told in proxy-flavor.ts.

import type { Cluster, Flavor, Listener, ProxyNode, RejectedListener, Route } from '../model/snapshot.ts';
import type { OverloadManager } from '../model/overload-config.ts';
import type { StatsConfig } from '../model/stats-config.ts';
import { LiveResourceKeeper } from '../model/live-resources.ts';
import { ConfigSlot, ENTRY_ARRAY_KEYS, ENTRY_ARRAYS } from './config-slot.ts';
import { InputError } from './input-error.ts';
import { detectFlavor, flavoredBufferLimit } from './proxy-flavor.ts';
import { envoyVersion, istioNamespace, proxyNode } from './proxy-node.ts';
import { arr, field, isObj, obj, type Obj, str, typeName } from './proto-json.ts';
import { gatewayListenerFromName } from './gateway-sources.ts';
import { parseOverloadManager } from './bootstrap-overload.ts';
import { parseStatsConfig } from './bootstrap-stats-config.ts';
import { grpcServiceClusters } from './xds-clusters.ts';

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
  /** The bootstrap's overload manager and runtime connection limit, when the dump had a bootstrap. */
  overloadManager?: OverloadManager;
  /** The bootstrap's node: id, and Istio's workload labels and name. */
  node?: ProxyNode;
}

/** One proxy's raw dump inside a document, with the name it was filed under. */
interface RawDump {
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
          dumps.push(outerKey === 'xds' ? { id: innerKey, configs: inner.configs } : { id: innerKey, namespace: outerKey, configs: inner.configs });
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
    else if (
      field(entry, 'filter_chains') !== undefined ||
      field(entry, 'default_filter_chain') !== undefined ||
      (field(entry, 'address') !== undefined && field(entry, 'connect_timeout') === undefined)
    ) {
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
    // Envoy also lists a route configuration inlined in a connection manager under static_route_configs: read once.
    const read = new Set(routes.map((r) => r.routeConfigName));
    for (const r of inlineRoutes) if (!read.has(r.routeConfigName)) routes.push(r);
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
      result.overloadManager = parseOverloadManager(this.bootstrap);
      // The live overload manager, for a fix merged into it.
      this.live.keep(result.overloadManager, obj(this.bootstrap, 'overload_manager') ?? {});
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
