// The format-independent model of one Envoy proxy: what the analyzers read.
// Field meanings follow Envoy's v3 API (api/envoy/config/{cluster,listener,route}/v3) and
// Envoy Gateway's translator (internal/xds/translator) for defaults and names.

import type { AccessLog } from './access-log.ts';
import type { KubernetesObjects, Manifests } from './kubernetes.ts';
import type { OverloadManager } from './overload-config.ts';
import type { StatsConfig } from './stats-config.ts';

/** Which control plane produced the configuration. */
export type Flavor = 'envoy-gateway' | 'istio' | 'envoy';

/** A value as configured, with where it came from: the config itself or a default. */
export interface Sourced<T> {
  value: T;
  source: 'explicit' | 'envoy-default' | 'envoy-gateway-default';
}

/** TCP keepalive settings (cluster `upstream_connection_options.tcp_keepalive` or listener socket options). */
export interface TcpKeepalive {
  probes?: number;
  timeSeconds?: number;
  intervalSeconds?: number;
}

/** How a cluster talks HTTP upstream (`HttpProtocolOptions.upstream_protocol_options`). */
export type UpstreamProtocol = 'http1' | 'http2' | 'http3' | 'downstream' | 'auto';

/** One circuit-breaker threshold set (`circuit_breakers.thresholds[]`, defaults applied). */
export interface CircuitBreaker {
  priority: 'default' | 'high';
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  maxRetries: number;
}

/** The Kubernetes object a generated Envoy resource stands for (Envoy Gateway or Istio names and metadata). */
export interface SourceObject {
  kind: string;
  namespace: string;
  name: string;
  sectionName?: string;
  /** Index of the rule within an xRoute, when known. */
  rule?: number;
}

/** An upstream cluster. */
export interface Cluster {
  name: string;
  /** Name its stats are published under (`alt_stat_name`, or the name). */
  statName: string;
  bufferLimitBytes: Sourced<number>;
  tcpKeepalive?: TcpKeepalive;
  upstreamProtocol: UpstreamProtocol;
  /** ALPN offered upstream by the cluster's TLS transport socket; empty without TLS or ALPN. */
  upstreamAlpn: string[];
  upstreamTls: boolean;
  circuitBreakers: CircuitBreaker[];
  /** `common_http_protocol_options.idle_timeout` in ms; undefined means Envoy's 1 h default. */
  idleTimeoutMs?: number;
  /** `common_http_protocol_options.max_connection_duration` in ms; undefined means unlimited. */
  maxConnectionDurationMs?: number;
  /** `common_http_protocol_options.max_stream_duration` in ms: upstream streams are reset at that age; undefined means unlimited. */
  maxStreamDurationMs?: number;
  /** Objects this cluster was generated from (e.g. the HTTPRoute rule). */
  sources: SourceObject[];
  origin: 'static' | 'dynamic';
  /** True for a cluster the bootstrap names as a gRPC service (xDS, SDS, access log or metrics sink). */
  controlPlane?: boolean;
  /** The cluster's inline endpoints (`load_assignment`), when it lists any: whether all are loopback, and their ports. */
  endpoints?: { loopback: boolean; ports: number[] };
}

/** HTTP connection manager settings of one filter chain. */
export interface ConnectionManager {
  statPrefix: string;
  /** RDS route configuration name, or the inline route configuration's name. */
  routeConfigName?: string;
  /** Upgrade types enabled on the connection manager (`upgrade_configs`). */
  upgradeTypes: string[];
  /** `stream_idle_timeout` in ms; Envoy's default is 300000, 0 disables. */
  streamIdleTimeoutMs: Sourced<number>;
  /** `request_timeout` in ms (0 or absent: disabled). */
  requestTimeoutMs?: number;
  /** `common_http_protocol_options.idle_timeout` in ms; undefined means Envoy's 1 h default. */
  idleTimeoutMs?: number;
  maxConnectionDurationMs?: number;
  maxStreamDurationMs?: number;
  /** `http2_protocol_options.allow_connect` (RFC 8441 WebSockets over HTTP/2). */
  http2AllowConnect: boolean;
  codecType: string;
  /** Names of the HTTP filters in order. */
  httpFilters: string[];
  /** HTTP filters configured but off unless a route turns them on (`disabled: true`). */
  disabledHttpFilters: string[];
  addUserAgent: boolean;
}

/** Envoy's buffer filter, as `ConnectionManager.httpFilters` names it. */
export const BUFFER_FILTER = 'envoy.filters.http.buffer';

/** TCP proxy settings of one filter chain (`envoy.filters.network.tcp_proxy`). */
export interface TcpProxy {
  statPrefix: string;
  cluster?: string;
  /** Clusters of `weighted_clusters`, when the TCP proxy splits its tunnels. */
  weightedClusters?: string[];
  /** `idle_timeout` in ms; Envoy's default is 1 h, 0 disables. */
  idleTimeoutMs: Sourced<number>;
}

/** One filter chain of a listener. */
export interface FilterChain {
  name: string;
  /** ALPN protocols offered to clients, in the server's order of preference. */
  alpn: string[];
  tls: boolean;
  serverNames: string[];
  connectionManager?: ConnectionManager;
  tcpProxy?: TcpProxy;
}

/** A listener. */
export interface Listener {
  name: string;
  /** Address as Envoy names it in stats: `0.0.0.0_10443`. */
  address: string;
  bufferLimitBytes: Sourced<number>;
  /** TCP keepalive from listener `socket_options`; undefined when SO_KEEPALIVE is not set. */
  tcpKeepalive?: TcpKeepalive;
  filterChains: FilterChain[];
  state: 'active' | 'warming' | 'draining';
  /** False for internal listeners and `bind_to_port: false` ones, which own no socket of their own. */
  bindsSocket: boolean;
  sources: SourceObject[];
  origin: 'static' | 'dynamic';
}

/**
 * A dynamic listener Envoy rejected (`ListenersConfigDump.DynamicListener.error_state`,
 * api/envoy/admin/v3/config_dump_shared.proto `UpdateFailureState`).
 */
export interface RejectedListener {
  name: string;
  /** The rejected configuration's address as stats name it (`0.0.0.0_15006`), when it has one. */
  address?: string;
  /** The rejected configuration's port, when it has one. */
  port?: number;
  /** Envoy's error text (`details`). */
  details: string;
  /** When Envoy last tried the update (`last_update_attempt`, RFC 3339), when recorded. */
  lastUpdateAttempt?: string;
  /** The control plane's version of the rejected configuration (`version_info`). */
  versionInfo?: string;
  /** True when an earlier version of the listener is still active and serves meanwhile. */
  stillServing: boolean;
}

/** A route inside a route configuration. */
export interface Route {
  name: string;
  routeConfigName: string;
  virtualHost: string;
  domains: string[];
  /** Target cluster names (one, or several for weighted clusters). */
  clusters: string[];
  /** Route `timeout` in ms; Envoy's default 15 s applies when absent, 0 disables. */
  timeoutMs: Sourced<number>;
  /** Route `idle_timeout` in ms; overrides the connection manager's stream idle timeout. */
  idleTimeoutMs?: number;
  /** Route `max_stream_duration.max_stream_duration` in ms; overrides the connection manager's (0 disables it there). */
  maxStreamDurationMs?: number;
  /** Upgrade settings on the route: type to enabled (absent means inherit from the connection manager). */
  upgrades: Record<string, boolean>;
  /** Names of per-route filter configs (e.g. `envoy.filters.http.buffer`). */
  perFilterConfig: string[];
  /** Per-route filter configs that turn their filter off (`disabled: true`, e.g. BufferPerRoute or FilterConfig). */
  disabledFilters: string[];
  sources: SourceObject[];
  /** Policies Envoy Gateway names as applied to the route (`filter_metadata["envoy-gateway"].policies`, >= 1.7). */
  policies?: SourceObject[];
}

/** One stats sample from `/stats`, keyed by the entity each stat describes. */
export interface StatsSample {
  /** When the sample was taken, if known. */
  takenAt?: Date;
  format: 'text' | 'json' | 'prometheus';
  clusters: Map<string, Map<string, number>>;
  connectionManagers: Map<string, Map<string, number>>;
  /** Connection manager prefix -> user agent (ios, android) -> stat -> value. */
  userAgents: Map<string, Map<string, Map<string, number>>>;
  listeners: Map<string, Map<string, number>>;
  tcpProxies: Map<string, Map<string, number>>;
  /** Everything else by its full Envoy name (`server.uptime`). */
  other: Map<string, number>;
  histograms: Map<string, Histogram>;
  /** Total number of stat values read (counters, gauges and histograms). */
  count: number;
  /**
   * Of a sample that keeps only the stats the diagnosis reads: per entity (its stats map), how many of its counters
   * and gauges were read and not kept. With the map's size, how many stats the entity has.
   */
  unkept?: WeakMap<Map<string, number>, number>;
}

/** A histogram as Envoy reports it: quantiles (text, JSON) or cumulative buckets (Prometheus). */
export interface Histogram {
  quantiles: Array<{ quantile: number; interval: number | null; cumulative: number | null }>;
  /**
   * Cumulative buckets as two parallel arrays, upper bounds (`le`) and counts: a large Prometheus capture has
   * millions of buckets, and packed numbers take a fraction of the memory of one object each.
   */
  buckets: { le: number[]; count: number[] };
  sum?: number;
  count?: number;
}

/**
 * Counters that ran backwards between the two stats samples (Envoy restarted between them, or the files were
 * swapped): the earlier sample is set aside and the proxy is diagnosed from the later one alone.
 */
export interface CountersReset {
  /** Counters lower in the later sample than in the earlier one. */
  decreased: number;
  /** Counters present in both samples. */
  compared: number;
  /** Entities (clusters, connection managers, listeners, TCP proxies) with a counter that decreased. */
  entities: number;
  /** The first counter that decreased, by its Envoy name, and its two values. */
  example: { name: string; before: number; after: number };
  /** `server.uptime` in each sample, when both have it. */
  uptimeBefore?: number;
  uptimeAfter?: number;
}

/** Which inputs a snapshot had; missing inputs make findings unknown, never healthy. */
export interface SnapshotInputs {
  configDump?: string;
  stats?: string;
  statsLater?: string;
  accessLog?: string;
  kubernetes?: string;
}

/** A proxy that was meant to be diagnosed but could not be collected, and why. */
export interface NotCollected {
  id: string;
  namespace?: string;
  reason: string;
}

/** What the bootstrap says about the proxy itself (`node`). */
export interface ProxyNode {
  /** `node.id`: Istio's `sidecar~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local`, `router~...` for gateways. */
  id: string;
  /** Istio: the workload's pod labels (`node.metadata.LABELS`). */
  labels?: Record<string, string>;
  /** Istio: the workload's name (`node.metadata.WORKLOAD_NAME`). */
  workloadName?: string;
}

/** One proxy, fully parsed. */
export interface Snapshot {
  /** Pod name, or the input's name. */
  id: string;
  namespace?: string;
  /** What runs the proxy (`deployment envoy-gateway-system/envoy-home-eg`), so findings on its pods merge. */
  owner?: string;
  flavor: Flavor;
  envoyVersion?: string;
  inputs: SnapshotInputs;
  clusters: Map<string, Cluster>;
  listeners: Listener[];
  /** Dynamic listeners Envoy rejected, with why; absent when none were. */
  rejectedListeners?: RejectedListener[];
  routes: Route[];
  stats?: StatsSample;
  statsLater?: StatsSample;
  /** Seconds between the two stats samples. */
  intervalSeconds?: number;
  /** Set when the second sample's counters ran backwards: `stats` is then the later sample and `statsLater` absent. */
  countersReset?: CountersReset;
  /** Access log of the proxy, when read. */
  accessLog?: AccessLog;
  /** Kubernetes objects that configure the proxy (Envoy Gateway), when read. */
  kubernetes?: KubernetesObjects;
  /** The same objects as the user's manifests declare them, to compare with the live ones. */
  manifests?: Manifests;
  /** Optional reads that failed while collecting (logs, /server_info, a second stats sample). */
  warnings?: string[];
  /** What decides which stats exist (the bootstrap's stats matcher, deferred creation); absent without a bootstrap. */
  statsConfig?: StatsConfig;
  /** The bootstrap's overload manager (empty when it configures none); absent without a bootstrap. */
  overloadManager?: OverloadManager;
  /** The bootstrap's node, when the dump had one. */
  node?: ProxyNode;
}
