// Bootstraps for the lab's Envoy: one HTTP listener `web` (connection manager stat_prefix `web`, route
// configuration `local`) in front of the aiohttp backend's cluster `backend`, every part adjustable by a scenario.
// Written with the field names of Envoy's v3 API (api/envoy/config/bootstrap/v3/bootstrap.proto).

import type { Bootstrap } from './envoy.ts';

type Obj = Record<string, unknown>;

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };

/** The socket address of a port on 127.0.0.1 (0: chosen by the OS). */
export function local(port: number): Obj {
  return { socket_address: { address: '127.0.0.1', port_value: port } };
}

/** A cluster of one endpoint on 127.0.0.1. */
export function cluster(name: string, port: number, extra: Obj = {}): Obj {
  return {
    name,
    connect_timeout: '1s',
    type: 'STATIC',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: local(port) } }] }] },
    ...extra,
  };
}

/** A route of the `local` route configuration. */
export function route(name: string, prefix: string, action: Obj = {}): Obj {
  return { name, match: { prefix }, route: { cluster: 'backend', ...action } };
}

/** The connection manager's typed config. */
export function connectionManager(routes: Obj[], extra: Obj = {}, httpFilters: Obj[] = []): Obj {
  return {
    '@type': HCM,
    stat_prefix: 'web',
    route_config: { name: 'local', virtual_hosts: [{ name: 'all', domains: ['*'], routes }] },
    http_filters: [...httpFilters, ROUTER],
    ...extra,
  };
}

/** An HTTP listener `web` on a port chosen by the OS. */
export function httpListener(hcm: Obj, extra: Obj = {}, chainExtra: Obj = {}): Obj {
  return {
    name: 'web',
    address: local(0),
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm }], ...chainExtra }],
    ...extra,
  };
}

/** A whole bootstrap from its listeners and clusters, with the admin on a port chosen by the OS. */
export function bootstrap(listeners: Obj[], clusters: Obj[], extra: Obj = {}): Bootstrap {
  return {
    node: { id: 'lab', cluster: 'lab' },
    admin: { address: local(0) },
    static_resources: { listeners, clusters },
    ...extra,
  };
}

/** TCP keepalive on a cluster's upstream connections (cluster.proto, UpstreamConnectionOptions.tcp_keepalive). */
export const CLUSTER_KEEPALIVE: Obj = { upstream_connection_options: { tcp_keepalive: { keepalive_probes: 3, keepalive_time: 60, keepalive_interval: 20 } } };

/** TCP keepalive on a listener's accepted connections, as socket options every Envoy version takes (Linux levels and names). */
export const LISTENER_KEEPALIVE: Obj = {
  socket_options: [
    { description: 'SO_KEEPALIVE', level: 1, name: 9, int_value: 1, state: 'STATE_PREBIND' },
    { description: 'TCP_KEEPIDLE', level: 6, name: 4, int_value: 60, state: 'STATE_PREBIND' },
    { description: 'TCP_KEEPINTVL', level: 6, name: 5, int_value: 20, state: 'STATE_PREBIND' },
    { description: 'TCP_KEEPCNT', level: 6, name: 6, int_value: 3, state: 'STATE_PREBIND' },
  ],
};

/** A connection manager access log on Envoy's stdout, one `ACCESS <fields>` line per request (read back with `accessLog`). */
export function stdoutAccessLog(fields: string): Obj {
  return {
    access_log: [
      {
        name: 'envoy.access_loggers.stdout',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
          log_format: { text_format_source: { inline_string: `ACCESS ${fields}\n` } },
        },
      },
    ],
  };
}

/** `ACCESS <code> <flags> <details> <protocol> <method> <duration>` per request. */
export const STDOUT_ACCESS_LOG: Obj = stdoutAccessLog('%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %PROTOCOL% %REQ(:METHOD)% %DURATION%');

/** Envoy Gateway's JSON access-log fields (envoyproxy/gateway internal/xds/translator/accesslog.go EnvoyJSONLogFields). */
export const ENVOY_GATEWAY_JSON_FIELDS: Readonly<Record<string, string>> = {
  start_time: '%START_TIME%',
  method: '%REQ(:METHOD)%',
  'x-envoy-origin-path': '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  protocol: '%PROTOCOL%',
  response_code: '%RESPONSE_CODE%',
  response_flags: '%RESPONSE_FLAGS%',
  response_code_details: '%RESPONSE_CODE_DETAILS%',
  connection_termination_details: '%CONNECTION_TERMINATION_DETAILS%',
  upstream_transport_failure_reason: '%UPSTREAM_TRANSPORT_FAILURE_REASON%',
  bytes_received: '%BYTES_RECEIVED%',
  bytes_sent: '%BYTES_SENT%',
  duration: '%DURATION%',
  'x-envoy-upstream-service-time': '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
  'x-forwarded-for': '%REQ(X-FORWARDED-FOR)%',
  'user-agent': '%REQ(USER-AGENT)%',
  'x-request-id': '%REQ(X-REQUEST-ID)%',
  ':authority': '%REQ(:AUTHORITY)%',
  upstream_host: '%UPSTREAM_HOST%',
  upstream_cluster: '%UPSTREAM_CLUSTER%',
  upstream_local_address: '%UPSTREAM_LOCAL_ADDRESS%',
  downstream_local_address: '%DOWNSTREAM_LOCAL_ADDRESS%',
  downstream_remote_address: '%DOWNSTREAM_REMOTE_ADDRESS%',
  requested_server_name: '%REQUESTED_SERVER_NAME%',
  route_name: '%ROUTE_NAME%',
};

/** An access logger writing JSON lines with Envoy Gateway's fields and `extra` on Envoy's stdout (`--record` keeps them as access.log). */
export function stdoutJsonAccessLogger(extra: Readonly<Record<string, string>> = {}): Obj {
  return {
    name: 'envoy.access_loggers.stdout',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
      log_format: { json_format: { ...ENVOY_GATEWAY_JSON_FIELDS, ...extra } },
    },
  };
}

/** The access-log lines STDOUT_ACCESS_LOG wrote so far, from Envoy's stdout: `code flags details protocol method duration`. */
export function accessLog(stdout: string): string[] {
  return stdout.split('\n').flatMap((l) => (l.startsWith('ACCESS ') ? [l.slice(7)] : []));
}

const TCP_PROXY = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

/** A listener that tunnels raw TCP to a cluster with the TCP proxy (api/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto). */
export function tcpListener(name: string, clusterName: string, tcpProxy: Obj = {}, extra: Obj = {}): Obj {
  return {
    name,
    address: local(0),
    filter_chains: [
      { filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP_PROXY, stat_prefix: name, cluster: clusterName, ...tcpProxy } }] },
    ],
    ...extra,
  };
}
