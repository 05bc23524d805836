// Every Envoy stat envoy-doctor reads, named once. Analyzers declare which of these they read (their `meta.stats`),
// and the live /stats filter, the stats a parsed sample keeps, the coverage checks and the verify steps are derived
// from those declarations, so a stat name is written here and nowhere else.
// Names as Envoy publishes them after the entity's prefix: cluster stats (envoy/upstream/upstream.h ALL_CLUSTER_STATS,
// ALL_CLUSTER_CIRCUIT_BREAKERS_STATS; docs/root/configuration/upstream/cluster_manager/cluster_stats.rst), connection
// manager stats (source/common/http/conn_manager_config.h ALL_HTTP_CONN_MAN_STATS, user agent stats
// source/common/http/user_agent.h), listener stats (envoy/network/listener.h), TCP proxy stats
// (source/common/tcp_proxy/tcp_proxy.h ALL_TCP_PROXY_STATS), server and listener manager stats
// (source/server/server.h, source/common/listener_manager/listener_manager_impl.h).

/** Stats under `cluster.<stat name>.`. */
export const CLUSTER_STATS = {
  cxTotal: 'upstream_cx_total',
  cxActive: 'upstream_cx_active',
  cxDestroy: 'upstream_cx_destroy',
  cxDestroyRemoteWithActiveRq: 'upstream_cx_destroy_remote_with_active_rq',
  cxDestroyLocalWithActiveRq: 'upstream_cx_destroy_local_with_active_rq',
  /** Connections the upstream closed, idle or not (envoy/upstream/upstream.h). */
  cxDestroyRemote: 'upstream_cx_destroy_remote',
  /** Connections Envoy closed at the cluster's idle_timeout (common_http_protocol_options). */
  cxIdleTimeout: 'upstream_cx_idle_timeout',
  cxHttp1Total: 'upstream_cx_http1_total',
  cxHttp2Total: 'upstream_cx_http2_total',
  cxLengthMs: 'upstream_cx_length_ms',
  cxMaxDurationReached: 'upstream_cx_max_duration_reached',
  cxOverflow: 'upstream_cx_overflow',
  cxProtocolError: 'upstream_cx_protocol_error',
  cxRxBytesBuffered: 'upstream_cx_rx_bytes_buffered',
  cxTxBytesBuffered: 'upstream_cx_tx_bytes_buffered',
  flowControlPausedReading: 'upstream_flow_control_paused_reading_total',
  flowControlResumedReading: 'upstream_flow_control_resumed_reading_total',
  rqTotal: 'upstream_rq_total',
  rqActive: 'upstream_rq_active',
  /** Counted for the backend's own 503s and for Envoy's local ones after an upstream reset alike. */
  rq503: 'upstream_rq_503',
  rqRetry: 'upstream_rq_retry',
  rqRetrySuccess: 'upstream_rq_retry_success',
  rqMaxDurationReached: 'upstream_rq_max_duration_reached',
  rqPendingOverflow: 'upstream_rq_pending_overflow',
  rqRxReset: 'upstream_rq_rx_reset',
  rqTimeout: 'upstream_rq_timeout',
  /** Response codes are counted per class and per code, each created at its first use. */
  rq2xx: 'upstream_rq_2xx',
  rq504: 'upstream_rq_504',
  membershipTotal: 'membership_total',
  circuitBreakerCxOpen: 'circuit_breakers.default.cx_open',
  circuitBreakerRqOpen: 'circuit_breakers.default.rq_open',
  circuitBreakerRqPendingOpen: 'circuit_breakers.default.rq_pending_open',
} as const;

/** Stats under `http.<stat_prefix>.` (the HTTP connection manager). */
export const HTTP_STATS = {
  cxTotal: 'downstream_cx_total',
  cxActive: 'downstream_cx_active',
  cxDestroy: 'downstream_cx_destroy',
  cxDestroyRemoteActiveRq: 'downstream_cx_destroy_remote_active_rq',
  cxHttp2Total: 'downstream_cx_http2_total',
  cxMaxDurationReached: 'downstream_cx_max_duration_reached',
  cxProtocolError: 'downstream_cx_protocol_error',
  cxRxBytesBuffered: 'downstream_cx_rx_bytes_buffered',
  cxTxBytesBuffered: 'downstream_cx_tx_bytes_buffered',
  cxUpgradesActive: 'downstream_cx_upgrades_active',
  cxUpgradesTotal: 'downstream_cx_upgrades_total',
  flowControlPausedReading: 'downstream_flow_control_paused_reading_total',
  flowControlResumedReading: 'downstream_flow_control_resumed_reading_total',
  rqTotal: 'downstream_rq_total',
  rqActive: 'downstream_rq_active',
  rqIdleTimeout: 'downstream_rq_idle_timeout',
  rqMaxDurationReached: 'downstream_rq_max_duration_reached',
  /** Requests refused with 503 by the overload manager's stop_accepting_requests. */
  rqOverloadClose: 'downstream_rq_overload_close',
  rqTimeout: 'downstream_rq_timeout',
  rqWsOnNonWsRoute: 'downstream_rq_ws_on_non_ws_route',
} as const;

/** Stats under `http.<stat_prefix>.user_agent.<agent>.`. */
export const USER_AGENT_STATS = {
  cxTotal: HTTP_STATS.cxTotal,
  cxDestroyRemoteActiveRq: HTTP_STATS.cxDestroyRemoteActiveRq,
} as const;

/** Stats under `listener.<address or stat_prefix>.`. */
export const LISTENER_STATS = {
  cxTotal: HTTP_STATS.cxTotal,
  cxActive: HTTP_STATS.cxActive,
  cxDestroy: HTTP_STATS.cxDestroy,
  /** Sockets closed at accept: the global downstream connection limit was reached (ActiveTcpListener::onReject). */
  globalCxOverflow: 'downstream_global_cx_overflow',
  /** Sockets closed at accept by the overload manager (load shed point tcp_listener_accept, reject_incoming_connections). */
  cxOverloadReject: 'downstream_cx_overload_reject',
} as const;

/** Stats under `tcp.<stat_prefix>.` (the TCP proxy). */
export const TCP_STATS = {
  cxTotal: HTTP_STATS.cxTotal,
  idleTimeout: 'idle_timeout',
  upstreamFlushTotal: 'upstream_flush_total',
} as const;

/**
 * Stats under `overload.<resource monitor, action or load shed point>.` (docs/root/configuration/operations/
 * overload_manager/overload_manager.rst "Statistics"): a monitor's pressure in percent of its maximum and its failed
 * updates (the connections monitor counts every refused connection there), an action's state.
 */
export const OVERLOAD_STATS = {
  pressure: 'pressure',
  failedUpdates: 'failed_updates',
  active: 'active',
  scalePercent: 'scale_percent',
} as const;

/** Stats that belong to no entity, by full name. */
export const SERVER_STATS = {
  uptime: 'server.uptime',
  /** Listener manager counters: listener updates (filter-chain-only ones included), the filter-chain-only ones, removals. */
  listenerModified: 'listener_manager.listener_modified',
  listenerInPlaceUpdated: 'listener_manager.listener_in_place_updated',
  listenerRemoved: 'listener_manager.listener_removed',
  /** Listener manager gauges: listeners and filter chains draining now. */
  totalListenersDraining: 'listener_manager.total_listeners_draining',
  totalFilterChainsDraining: 'listener_manager.total_filter_chains_draining',
} as const;

/** Families of stats that belong to no entity, kept whole by name prefix. */
export const STAT_PREFIXES = {
  overload: 'overload.',
} as const;

/** A stat of one entity family, as Envoy names it after the entity. */
export type ClusterStat = (typeof CLUSTER_STATS)[keyof typeof CLUSTER_STATS];
export type HttpStat = (typeof HTTP_STATS)[keyof typeof HTTP_STATS];
type UserAgentStat = (typeof USER_AGENT_STATS)[keyof typeof USER_AGENT_STATS];
type ListenerStat = (typeof LISTENER_STATS)[keyof typeof LISTENER_STATS];
type TcpStat = (typeof TCP_STATS)[keyof typeof TCP_STATS];
export type OverloadStat = (typeof OVERLOAD_STATS)[keyof typeof OVERLOAD_STATS];
export type ServerStat = (typeof SERVER_STATS)[keyof typeof SERVER_STATS];
type StatPrefix = (typeof STAT_PREFIXES)[keyof typeof STAT_PREFIXES];

/** The stats one reader (an analyzer, a verify check) reads, per entity family. */
export interface StatsRead {
  cluster?: readonly ClusterStat[];
  http?: readonly HttpStat[];
  userAgent?: readonly UserAgentStat[];
  listener?: readonly ListenerStat[];
  tcp?: readonly TcpStat[];
  /** Stats of no entity, by full name, and families kept whole by prefix. */
  server?: readonly ServerStat[];
  prefixes?: readonly StatPrefix[];
}
