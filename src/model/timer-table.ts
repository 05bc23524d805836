// Timers that end long-lived connections, as data, each with where its value was read. Envoy's defaults are from
// envoyproxy/data-plane-api (84e8436, 2026-01-29): HttpConnectionManager.stream_idle_timeout "defaults to 5 minutes"
// (envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto), RouteAction.timeout
// "the default is 15s" (envoy/config/route/v3/route_components.proto), HttpProtocolOptions.idle_timeout "defaults to
// 1 hour", counted only while no request is active (envoy/config/core/v3/protocol.proto), TcpProxy.idle_timeout "the
// default idle timeout is 1 hour" (envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto). The flags Envoy
// logs for its own timers are from docs/root/configuration/observability/access_log/usage.rst (SI, UT, DT).
// An idle timer of T or a heartbeat closes a session no earlier than T after it opened (sooner only if the peer
// never spoke), so a timer explains a band of closes whose lower edge sits at T.
// The table of timers every diagnosis knows (WELL_KNOWN_TIMERS) and the shape of a timer; src/model/timers.ts matches
// bands of session durations against them and reads the configured ones.

import type { Sourced } from './snapshot.ts';

/** Who runs a timer: the backend behind Envoy, a box in front of or behind it, or Envoy itself. */
type TimerOwner = 'backend' | 'middlebox' | 'envoy';

/** A timer that can end a long-lived connection. */
export interface Timer {
  /** Stable id (`aiohttp-heartbeat-home-assistant`, `envoy-stream-idle-timeout`, `route-timeout`). */
  id: string;
  /** What people call it, with its setting: `aiohttp heartbeat=55 (Home Assistant)`. */
  name: string;
  owner: TimerOwner;
  /** When it closes a session whose peer stays silent from the start, in ms. */
  ms: number;
  /** Response flags Envoy logs when this timer ends an upgraded session; empty when not known. */
  flags: string[];
  /** True when it fires only while no request is active, so it cannot end an open upgraded session. */
  idleOnly: boolean;
  /** For heartbeats: the ping interval behind `ms`. */
  heartbeatMs?: number;
  /**
   * Middleboxes: what the box sees. `http` boxes proxy requests and frames and count only bytes of them, so TCP
   * keepalive probes never reset their timer; `tcp` boxes track flows, and a keepalive probe below the timer keeps a
   * flow (AWS: aws.amazon.com/blogs/networking-and-content-delivery/implementing-long-running-tcp-connections-within-vpc-networking;
   * Azure: learn.microsoft.com/azure/load-balancer/load-balancer-tcp-reset).
   */
  layer?: 'http' | 'tcp';
  /** Middleboxes: `idle` when any byte resets the timer, `lifetime` when it ends a session at that age whatever flows. */
  ends?: 'idle' | 'lifetime';
  /** Middleboxes: the box's own setting that sets the timer, as its operator writes it. */
  setting?: string;
  /** `well-known` for this table, else where the configured value came from. */
  origin: 'well-known' | Sourced<number>['source'];
  /** Where the value was read: a document's address, or a config field. */
  source: string;
}

/**
 * aiohttp's server WebSocket (`aiohttp/web_ws.py`, `WebSocketResponse`): with `heartbeat=h` it pings `h` seconds
 * after the last frame it received and closes the connection when no pong came `h / 2` seconds later
 * (`self._pong_heartbeat = heartbeat / 2.0`, `_pong_not_received`): 1.5 h after the client last spoke.
 */
export const AIOHTTP_CLOSE_FACTOR = 1.5;

/** Cloudflare's read timeout: documented at 100 s until 2024 and at 120 s since; what both entries share. */
const CLOUDFLARE_READ_TIMEOUT: Omit<Timer, 'id' | 'name' | 'ms' | 'source'> = {
  owner: 'middlebox',
  flags: ['DC', 'UC'],
  idleOnly: false,
  layer: 'http',
  ends: 'idle',
  setting: 'Proxy Read Timeout (zone setting proxy_read_timeout), configurable on Enterprise plans only',
  origin: 'well-known',
};

/** The timers every diagnosis knows; Envoy's defaults are replaced by the configured values when a config is read. */
export const WELL_KNOWN_TIMERS: readonly Timer[] = [
  {
    id: 'aiohttp-heartbeat-home-assistant',
    name: 'aiohttp heartbeat=55 (Home Assistant)',
    owner: 'backend',
    ms: 55_000 * AIOHTTP_CLOSE_FACTOR,
    heartbeatMs: 55_000,
    flags: ['UC'],
    idleOnly: false,
    origin: 'well-known',
    source:
      'home-assistant/core homeassistant/components/websocket_api/http.py (web.WebSocketResponse(heartbeat=55)); aio-libs/aiohttp aiohttp/web_ws.py (_pong_heartbeat = heartbeat / 2.0)',
  },
  {
    ...CLOUDFLARE_READ_TIMEOUT,
    id: 'cloudflare-proxy-read-timeout',
    name: 'Cloudflare proxy read timeout (100 s)',
    ms: 100_000,
    source:
      'https://developers.cloudflare.com/fundamentals/reference/connection-limits/ (Proxy Read Timeout 100 s as published in 2024, cloudflare/cloudflare-docs#14458); https://community.cloudflare.com/t/cloudflare-websocket-timeout/5865 ("100 seconds is the standard timeout setting. Only ENT users have the option to adjust")',
  },
  {
    ...CLOUDFLARE_READ_TIMEOUT,
    id: 'cloudflare-proxy-read-timeout-120s',
    name: 'Cloudflare proxy read timeout (120 s, the current documented value)',
    ms: 120_000,
    source: 'https://developers.cloudflare.com/fundamentals/reference/connection-limits/ (Proxy Read Timeout 120 s, 524, configurable; page of 2026-07-23)',
  },
  {
    id: 'aws-alb-idle-timeout',
    name: 'AWS Application Load Balancer idle timeout (default 60 s)',
    owner: 'middlebox',
    ms: 60_000,
    flags: ['DC', 'UC'],
    idleOnly: false,
    origin: 'well-known',
    layer: 'http',
    ends: 'idle',
    setting: 'load balancer attribute idle_timeout.timeout_seconds (1-4000 s); HTTP/2 PING frames do not reset it',
    source:
      'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html (connection idle timeout, default 60 s; HTTP/2 PING frames do not reset it); https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_LoadBalancerAttribute.html (idle_timeout.timeout_seconds, 1-4000)',
  },
  {
    id: 'aws-nlb-tcp-idle-timeout',
    name: 'AWS Network Load Balancer TCP idle timeout (default 350 s)',
    owner: 'middlebox',
    ms: 350_000,
    flags: ['DC', 'UC'],
    idleOnly: false,
    origin: 'well-known',
    layer: 'tcp',
    ends: 'idle',
    setting: 'TCP listener attribute tcp.idle_timeout.seconds (60-6000 s; fixed at 350 s on TLS listeners)',
    source:
      'https://docs.aws.amazon.com/elasticloadbalancing/latest/network/update-idle-timeout.html (TCP idle timeout, default 350 s, tcp.idle_timeout.seconds 60-6000, TLS listeners fixed); the flow is dropped, and a later packet gets a reset',
  },
  {
    id: 'gcp-backend-service-timeout',
    name: 'Google Cloud external Application Load Balancer backend service timeout (default 30 s, a WebSocket lifetime)',
    owner: 'middlebox',
    ms: 30_000,
    flags: ['DC', 'UC'],
    idleOnly: false,
    origin: 'well-known',
    layer: 'http',
    ends: 'lifetime',
    setting: 'backend service timeoutSec (GKE Ingress: BackendConfig spec.timeoutSec)',
    source:
      'Compute Engine API BackendService.timeoutSec ("The default is 30 seconds"); kubernetes/ingress-gce examples/websocket/README.md ("not an idle timeout - it\'s a timeout on the connection lifetime")',
  },
  {
    id: 'azure-lb-idle-timeout',
    name: 'Azure Load Balancer idle timeout (default 4 min)',
    owner: 'middlebox',
    ms: 240_000,
    flags: ['DC', 'UC'],
    idleOnly: false,
    origin: 'well-known',
    layer: 'tcp',
    ends: 'idle',
    setting: 'load-balancing rule idleTimeoutInMinutes (4-100 min), with enableTcpReset to reset both sides instead of dropping silently',
    source:
      'https://learn.microsoft.com/azure/load-balancer/load-balancer-tcp-idle-timeout ("The default setting is 4 minutes"); flows are dropped silently unless TCP reset is enabled (load-balancer-tcp-reset)',
  },
  {
    id: 'nginx-proxy-read-timeout',
    name: 'nginx proxy_read_timeout (default 60 s)',
    owner: 'middlebox',
    ms: 60_000,
    flags: ['DC', 'UC'],
    idleOnly: false,
    origin: 'well-known',
    layer: 'http',
    ends: 'idle',
    setting: 'proxy_read_timeout (and proxy_send_timeout) in the location that proxies the WebSocket',
    source:
      'https://nginx.org/en/docs/http/websocket.html ("closed if the proxied server does not transmit any data within 60 seconds"); ngx_http_proxy_module proxy_read_timeout',
  },
  {
    id: 'envoy-stream-idle-timeout',
    name: "Envoy's stream_idle_timeout (default 5 min)",
    owner: 'envoy',
    ms: 300_000,
    flags: ['SI'],
    idleOnly: false,
    origin: 'well-known',
    source: 'envoyproxy/data-plane-api envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto (stream_idle_timeout)',
  },
  {
    id: 'envoy-route-timeout',
    name: "Envoy's route timeout (default 15 s)",
    owner: 'envoy',
    ms: 15_000,
    flags: ['UT'],
    idleOnly: false,
    origin: 'well-known',
    source: 'envoyproxy/data-plane-api envoy/config/route/v3/route_components.proto (RouteAction.timeout)',
  },
  {
    id: 'envoy-connection-idle-timeout',
    name: "Envoy's connection idle_timeout (default 1 h, only without active requests)",
    owner: 'envoy',
    ms: 3_600_000,
    flags: [],
    idleOnly: true,
    origin: 'well-known',
    source: 'envoyproxy/data-plane-api envoy/config/core/v3/protocol.proto (HttpProtocolOptions.idle_timeout)',
  },
  {
    id: 'envoy-tcp-proxy-idle-timeout',
    name: "Envoy's tcp_proxy idle_timeout (default 1 h)",
    owner: 'envoy',
    ms: 3_600_000,
    flags: [],
    idleOnly: false,
    origin: 'well-known',
    source: 'envoyproxy/data-plane-api envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto (idle_timeout)',
  },
];
