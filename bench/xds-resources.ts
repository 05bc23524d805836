// The mesh's xDS resources as Envoy Gateway writes them (envoyproxy/gateway internal/xds/translator; see shared corpus
// envoy-gateway/*.json), in Envoy's snake_case proto JSON: clusters (api/envoy/config/cluster/v3/cluster.proto),
// listeners with their connection manager (listener/v3/listener.proto, http_connection_manager.proto), route
// configurations (route/v3/route.proto) and EDS load assignments (endpoint/v3/endpoint.proto).

import type { MeshCluster, MeshListener, MeshRoute } from './mesh.ts';
import { Random } from './random.ts';

/** The prefix of every type URL. */
export const T = 'type.googleapis.com';
/** The `last_updated` of every dumped resource. */
export const UPDATED = '2026-11-22T08:00:00.000Z';

const ADS = { ads: {}, resource_api_version: 'V3' };

function gatewayMetadata(resources: Array<Record<string, string>>): Record<string, unknown> {
  return { filter_metadata: { 'envoy-gateway': { resources } } };
}

/** Envoy Gateway's default JSON access log format. */
const ACCESS_LOG_FORMAT: Record<string, string> = {
  ':authority': '%REQ(:AUTHORITY)%',
  bytes_received: '%BYTES_RECEIVED%',
  bytes_sent: '%BYTES_SENT%',
  connection_termination_details: '%CONNECTION_TERMINATION_DETAILS%',
  downstream_local_address: '%DOWNSTREAM_LOCAL_ADDRESS%',
  downstream_remote_address: '%DOWNSTREAM_REMOTE_ADDRESS%',
  duration: '%DURATION%',
  method: '%REQ(:METHOD)%',
  protocol: '%PROTOCOL%',
  requested_server_name: '%REQUESTED_SERVER_NAME%',
  response_code: '%RESPONSE_CODE%',
  response_code_details: '%RESPONSE_CODE_DETAILS%',
  response_flags: '%RESPONSE_FLAGS%',
  route_name: '%ROUTE_NAME%',
  start_time: '%START_TIME%',
  upstream_cluster: '%UPSTREAM_CLUSTER%',
  upstream_host: '%UPSTREAM_HOST%',
  upstream_local_address: '%UPSTREAM_LOCAL_ADDRESS%',
  upstream_transport_failure_reason: '%UPSTREAM_TRANSPORT_FAILURE_REASON%',
  'user-agent': '%REQ(USER-AGENT)%',
  'x-envoy-origin-path': '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  'x-envoy-upstream-service-time': '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
  'x-forwarded-for': '%REQ(X-FORWARDED-FOR)%',
  'x-request-id': '%REQ(X-REQUEST-ID)%',
};

function accessLog(filter: boolean): Record<string, unknown> {
  return {
    name: 'envoy.access_loggers.file',
    ...(filter ? { filter: { response_flag_filter: { flags: ['NR'] } } } : {}),
    typed_config: {
      '@type': `${T}/envoy.extensions.access_loggers.file.v3.FileAccessLog`,
      path: '/dev/stdout',
      log_format: { json_format: ACCESS_LOG_FORMAT },
    },
  };
}

const KEEPALIVE_SOCKET_OPTIONS = [
  { description: 'socket keep-alive', level: '1', name: '9', int_value: '1', state: 'STATE_PREBIND' },
  { description: 'keep-alive idle time', level: '6', name: '4', int_value: '60', state: 'STATE_PREBIND' },
  { description: 'keep-alive interval', level: '6', name: '5', int_value: '20', state: 'STATE_PREBIND' },
  { description: 'keep-alive probes', level: '6', name: '6', int_value: '3', state: 'STATE_PREBIND' },
];

/** One mesh cluster as an EDS Cluster. */
export function clusterResource(c: MeshCluster): Record<string, unknown> {
  const cluster: Record<string, unknown> = {
    '@type': `${T}/envoy.config.cluster.v3.Cluster`,
    name: c.name,
    type: 'EDS',
    eds_cluster_config: { eds_config: ADS, service_name: c.name },
    connect_timeout: '10s',
    per_connection_buffer_limit_bytes: c.bufferLimit,
    circuit_breakers: { thresholds: [{ max_retries: 1024 }] },
    dns_lookup_family: 'V4_PREFERRED',
    common_lb_config: {},
    ignore_health_on_host_removal: true,
    metadata: gatewayMetadata([{ kind: 'HTTPRoute', name: c.route, namespace: c.namespace }]),
    load_balancing_policy: {
      policies: [
        {
          typed_extension_config: {
            name: 'envoy.load_balancing_policies.least_request',
            typed_config: {
              '@type': `${T}/envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest`,
              locality_lb_config: { locality_weighted_lb_config: {} },
            },
          },
        },
      ],
    },
  };
  if (c.outlierDetection) cluster.outlier_detection = { consecutive_5xx: 5, interval: '10s', base_ejection_time: '30s', max_ejection_percent: 10 };
  if (c.tcpKeepalive) cluster.upstream_connection_options = { tcp_keepalive: { keepalive_probes: 3, keepalive_time: 1200, keepalive_interval: 60 } };
  if (c.http2 || c.idleTimeout !== undefined) {
    cluster.typed_extension_protocol_options = {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': `${T}/envoy.extensions.upstreams.http.v3.HttpProtocolOptions`,
        ...(c.idleTimeout !== undefined ? { common_http_protocol_options: { idle_timeout: c.idleTimeout } } : {}),
        explicit_http_config: c.http2
          ? { http2_protocol_options: { initial_stream_window_size: 65536, initial_connection_window_size: 1048576 } }
          : { http_protocol_options: {} },
      },
    };
  }
  return cluster;
}

function httpFilter(name: string): Record<string, unknown> {
  const type = name.replace('envoy.filters.http.', '');
  const typeUrl: Record<string, string> = {
    cors: 'envoy.extensions.filters.http.cors.v3.Cors',
    ext_authz: 'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz',
    jwt_authn: 'envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
    local_ratelimit: 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
  };
  return { name, typed_config: { '@type': `${T}/${typeUrl[type] ?? 'google.protobuf.Empty'}` }, disabled: type !== 'local_ratelimit' };
}

function connectionManager(l: MeshListener): Record<string, unknown> {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': `${T}/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
      stat_prefix: l.statPrefix,
      rds: { config_source: { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' }, route_config_name: l.name },
      http_filters: [
        ...l.httpFilters.map(httpFilter),
        { name: 'envoy.filters.http.router', typed_config: { '@type': `${T}/envoy.extensions.filters.http.router.v3.Router`, suppress_envoy_headers: true } },
      ],
      access_log: [accessLog(false)],
      common_http_protocol_options: { headers_with_underscores_action: 'REJECT_REQUEST' },
      http2_protocol_options: { max_concurrent_streams: 100, initial_stream_window_size: 65536, initial_connection_window_size: 1048576 },
      server_header_transformation: 'PASS_THROUGH',
      use_remote_address: true,
      normalize_path: true,
      merge_slashes: true,
      path_with_escaped_slashes_action: 'UNESCAPE_AND_REDIRECT',
      upgrade_configs: [{ upgrade_type: 'websocket' }],
    },
  };
}

/** One mesh listener, with its filter chain and connection manager. */
export function listenerResource(l: MeshListener): Record<string, unknown> {
  const hcm = connectionManager(l);
  const listener: Record<string, unknown> = {
    '@type': `${T}/envoy.config.listener.v3.Listener`,
    name: l.name,
    address: { socket_address: { address: '0.0.0.0', port_value: l.port } },
  };
  if (l.tcpKeepalive) listener.socket_options = KEEPALIVE_SOCKET_OPTIONS;
  if (l.tls) {
    listener.filter_chains = [
      {
        filter_chain_match: { server_names: l.routes.map((r) => r.hostname) },
        filters: [hcm],
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: {
            '@type': `${T}/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext`,
            common_tls_context: {
              tls_params: { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' },
              alpn_protocols: ['h2', 'http/1.1'],
              tls_certificate_sds_secret_configs: [{ name: `${l.gatewayNamespace}/${l.gateway}-tls`, sds_config: ADS }],
            },
            disable_stateful_session_resumption: true,
            disable_stateless_session_resumption: true,
          },
        },
        name: l.name,
      },
    ];
    listener.listener_filters = [
      { name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': `${T}/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector` } },
    ];
  } else {
    listener.default_filter_chain = { filters: [hcm], name: l.name };
  }
  listener.per_connection_buffer_limit_bytes = l.bufferLimit;
  listener.access_log = [accessLog(true)];
  listener.max_connections_to_accept_per_socket_event = 1;
  return listener;
}

/** The route configuration of one mesh listener: a virtual host per hostname, a route per cluster. */
export function routeConfiguration(l: MeshListener): Record<string, unknown> {
  return {
    '@type': `${T}/envoy.config.route.v3.RouteConfiguration`,
    name: l.name,
    virtual_hosts: l.routes.map((r: MeshRoute) => {
      const hostKey = r.hostname.replaceAll('.', '_');
      return {
        name: `${l.name}/${hostKey}`,
        domains: [r.hostname],
        metadata: gatewayMetadata([{ kind: 'Gateway', name: l.gateway, namespace: l.gatewayNamespace, sectionName: l.section }]),
        // Envoy Gateway orders routes by match specificity: the longest path prefix first, `/` last.
        routes: [...r.clusters].reverse().map((c) => ({
          name: `${c.name}/match/0/${hostKey}`,
          match: c.rule === 0 ? { prefix: '/' } : { path_separated_prefix: `/api/v${c.rule}` },
          metadata: gatewayMetadata([{ kind: 'HTTPRoute', name: c.route, namespace: c.namespace }]),
          route: {
            cluster: c.name,
            upgrade_configs: [{ upgrade_type: 'websocket' }],
            ...(c.rule > 0 ? { timeout: '60s' } : {}),
          },
          ...(l.httpFilters.includes('envoy.filters.http.local_ratelimit')
            ? {
                typed_per_filter_config: {
                  'envoy.filters.http.local_ratelimit': {
                    '@type': `${T}/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit`,
                    stat_prefix: 'http_local_rate_limiter',
                    token_bucket: { max_tokens: 100, tokens_per_fill: 100, fill_interval: '1s' },
                  },
                },
              }
            : {}),
        })),
      };
    }),
    ignore_port_in_host_matching: true,
  };
}

/** One EDS ClusterLoadAssignment: `endpoints` pod addresses spread over the cluster's backends (localities). */
export function loadAssignment(rng: Random, c: MeshCluster, index: number, endpoints: number): Record<string, unknown> {
  const port = rng.pick([3000, 8080, 8443, 9000]);
  const localities: unknown[] = [];
  for (let b = 0; b < c.backends; b++) {
    const count = Math.floor(((b + 1) * endpoints) / c.backends) - Math.floor((b * endpoints) / c.backends);
    const lbEndpoints: unknown[] = [];
    for (let e = 0; e < count; e++) {
      lbEndpoints.push({
        endpoint: {
          address: { socket_address: { address: `10.${(index >> 8) & 255}.${index & 255}.${rng.int(2, 254)}`, port_value: port } },
          health_check_config: {},
        },
        health_status: 'HEALTHY',
        metadata: {},
        load_balancing_weight: 1,
      });
    }
    localities.push({
      locality: { region: `${c.name}/backend/${b}` },
      lb_endpoints: lbEndpoints,
      load_balancing_weight: 1,
      metadata: gatewayMetadata([{ kind: 'Service', name: `${c.route}-${b}`, namespace: c.namespace, sectionName: String(port) }]),
    });
  }
  return {
    '@type': `${T}/envoy.config.endpoint.v3.ClusterLoadAssignment`,
    cluster_name: c.name,
    endpoints: localities,
    policy: { overprovisioning_factor: 140 },
  };
}

/** Bytes one pretty-printed EDS entry takes with `endpoints` endpoints, at its depth in the document. */
export function loadAssignmentBytes(c: MeshCluster, endpoints: number): number {
  const entry = { endpoint_config: loadAssignment(new Random(1), c, 0, endpoints), last_updated: UPDATED };
  // Depth of a dynamic_endpoint_configs element: root > configs > EndpointsConfigDump > list.
  return JSON.stringify(entry, null, 1).replaceAll('\n', '\n    ').length + 6;
}
