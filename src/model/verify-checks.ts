// How to tell a fix worked, as data: per root cause, the stats that should stop moving and the settings that should
// read differently once the fix is applied, keyed by root-cause id. src/report/verify.ts fills in the entities a root
// cause names and the values the last capture read; the stats read here are among those a sample keeps.
// Stat names follow Envoy's (docs/root/configuration/upstream/cluster_manager/cluster_stats.rst,
// docs/root/configuration/http/http_conn_man/stats.rst).

import type { EntityRef } from './finding.ts';

/** What a verified stat or setting should do after the fix. */
export type VerifyExpectation =
  /** A counter: no increase between two samples taken after the fix. */
  | 'stops-growing'
  /** A counter that should equal another (`other`): every pause resumed. */
  | 'matches'
  /** A gauge that should read 0. */
  | 'zero'
  /** A gauge that should fall well below its current value. */
  | 'falls'
  /** A counter that should keep rising as the traffic that failed now succeeds. */
  | 'keeps-growing'
  /** A setting that should now be present in /config_dump (or the object's status). */
  | 'present'
  /** A setting that should now be absent. */
  | 'absent';

/** One check of a verify entry. `stat` checks read counters or gauges; `setting` checks read the configuration. */
export type VerifyCheck =
  | { scope: 'cluster' | 'connection-manager'; stat: string; expect: Exclude<VerifyExpectation, 'present' | 'absent'>; other?: string }
  | { scope: EntityRef['kind']; setting: string; expect: 'present' | 'absent' };

/** Verification checks per active root-cause id. */
export const VERIFY: Readonly<Record<string, readonly VerifyCheck[]>> = {
  'flow-control-stall': [
    { scope: 'cluster', stat: 'upstream_flow_control_paused_reading_total', expect: 'stops-growing' },
    { scope: 'cluster', stat: 'upstream_flow_control_paused_reading_total', expect: 'matches', other: 'upstream_flow_control_resumed_reading_total' },
    { scope: 'cluster', stat: 'upstream_cx_rx_bytes_buffered', expect: 'falls' },
    { scope: 'cluster', stat: 'upstream_cx_destroy_remote_with_active_rq', expect: 'stops-growing' },
    { scope: 'connection-manager', stat: 'downstream_flow_control_paused_reading_total', expect: 'matches', other: 'downstream_flow_control_resumed_reading_total' },
    { scope: 'cluster', setting: 'per_connection_buffer_limit_bytes of at least 1 MiB', expect: 'present' },
    { scope: 'listener', setting: 'per_connection_buffer_limit_bytes of at least 1 MiB', expect: 'present' },
  ],
  'missing-tcp-keepalive': [
    { scope: 'cluster', setting: 'upstream_connection_options.tcp_keepalive', expect: 'present' },
    { scope: 'listener', setting: 'socket_options SO_KEEPALIVE (level 1, name 9, value 1)', expect: 'present' },
  ],
  'policy-overridden': [
    { scope: 'policy', setting: 'status condition Overridden on the gateway-level policy for this route', expect: 'absent' },
    { scope: 'route', setting: 'the gateway-level fields (tcpKeepalive, timeouts) in the route\'s cluster in /config_dump', expect: 'present' },
  ],
  'config-drift': [{ scope: 'policy', setting: 'fields that differ from the manifests (envoy-doctor diagnose --manifests reports no manifest-drift)', expect: 'absent' }],
  'stream-idle-timeout': [
    { scope: 'connection-manager', stat: 'downstream_rq_idle_timeout', expect: 'stops-growing' },
    { scope: 'connection-manager', setting: 'stream_idle_timeout above the longest quiet period of the WebSockets (or 0s)', expect: 'present' },
    { scope: 'route', setting: 'route idle_timeout shorter than the WebSockets stay quiet', expect: 'absent' },
  ],
  'route-timeout-on-upgrade': [
    { scope: 'cluster', stat: 'upstream_rq_timeout', expect: 'stops-growing' },
    { scope: 'route', setting: 'route timeout 0s on the WebSocket route', expect: 'present' },
  ],
  'connection-max-duration': [
    { scope: 'cluster', stat: 'upstream_cx_max_duration_reached', expect: 'stops-growing' },
    { scope: 'cluster', stat: 'upstream_rq_max_duration_reached', expect: 'stops-growing' },
    { scope: 'connection-manager', stat: 'downstream_cx_max_duration_reached', expect: 'stops-growing' },
    { scope: 'connection-manager', stat: 'downstream_rq_max_duration_reached', expect: 'stops-growing' },
  ],
  'request-buffer-blocks-upgrade': [
    { scope: 'route', setting: 'typed_per_filter_config envoy.filters.http.buffer with disabled: true (or no requestBuffer in the winning policy)', expect: 'present' },
    { scope: 'connection-manager', stat: 'downstream_cx_upgrades_total', expect: 'keeps-growing' },
  ],
  'circuit-breaker-saturation': [
    { scope: 'cluster', stat: 'circuit_breakers.default.cx_open', expect: 'zero' },
    { scope: 'cluster', stat: 'circuit_breakers.default.rq_open', expect: 'zero' },
    { scope: 'cluster', stat: 'upstream_cx_overflow', expect: 'stops-growing' },
    { scope: 'cluster', stat: 'upstream_rq_pending_overflow', expect: 'stops-growing' },
  ],
  'websocket-upgrade-disabled': [
    { scope: 'connection-manager', stat: 'downstream_rq_ws_on_non_ws_route', expect: 'stops-growing' },
    { scope: 'connection-manager', stat: 'downstream_cx_upgrades_total', expect: 'keeps-growing' },
    { scope: 'route', setting: 'upgrade_configs websocket enabled on the route (or on its connection manager)', expect: 'present' },
  ],
  'upstream-http2-websocket': [
    { scope: 'cluster', stat: 'upstream_cx_protocol_error', expect: 'stops-growing' },
    { scope: 'cluster', stat: 'upstream_rq_rx_reset', expect: 'stops-growing' },
    { scope: 'cluster', stat: 'upstream_cx_http1_total', expect: 'keeps-growing' },
  ],
  'alpn-h2-websocket': [
    { scope: 'listener', setting: 'http2_protocol_options.allow_connect: true on the connection manager (or http/1.1 offered first in ALPN)', expect: 'present' },
    { scope: 'listener', setting: 'WebSocket CONNECT requests over HTTP/2 refused or answered 426 in the access log', expect: 'absent' },
  ],
  'passthrough-idle-timeout': [
    { scope: 'listener', setting: 'tcp_proxy idle_timeout longer than the tunnels stay quiet (or 0s with keepalive)', expect: 'present' },
    { scope: 'listener', setting: 'socket_options SO_KEEPALIVE (level 1, name 9, value 1)', expect: 'present' },
    { scope: 'cluster', setting: 'upstream_connection_options.tcp_keepalive', expect: 'present' },
  ],
  'listener-drain': [
    { scope: 'proxy', setting: 'drain time (--drain-time-s, or the EnvoyProxy shutdown drainTimeout) longer than the WebSockets need to reconnect elsewhere', expect: 'present' },
    { scope: 'listener', setting: 'upgraded sessions closed with filter_chain_is_being_removed in the access log', expect: 'absent' },
  ],
  'listener-unserved': [
    { scope: 'listener', setting: 'error_state of this listener in /config_dump', expect: 'absent' },
    { scope: 'listener', setting: 'active_state of this listener in /config_dump', expect: 'present' },
  ],
  'stats-unavailable': [
    { scope: 'proxy', setting: 'the missing stats in /stats (stats_matcher or the control plane\'s telemetry settings let them through)', expect: 'present' },
  ],
};
