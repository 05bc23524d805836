// Writes the mesh as Envoy's snake_case `/config_dump?include_eds` JSON (api/envoy/admin/v3/config_dump*.proto):
// Bootstrap, Clusters, Listeners, ScopedRoutes, Routes, Secrets and Endpoints dumps, shaped like Envoy Gateway's
// output (envoyproxy/gateway internal/xds/translator; see shared corpus envoy-gateway/*.json). Endpoints are
// padded so the file reaches a target size, as a large `include_eds` dump would.

import type { Mesh, MeshCluster, MeshListener, MeshRoute } from './mesh.ts';
import { Random } from './random.ts';
import { FileSink, PrettyJsonWriter } from './writer.ts';

const T = 'type.googleapis.com';
const UPDATED = '2026-11-22T08:00:00.000Z';

/** What was written. */
export interface ConfigDumpInfo {
  bytes: number;
  clusters: number;
  listeners: number;
  routeConfigs: number;
  endpoints: number;
}

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

function staticCluster(name: string, host: string, port: number, http2: boolean): Record<string, unknown> {
  return {
    '@type': `${T}/envoy.config.cluster.v3.Cluster`,
    name,
    type: http2 ? 'STRICT_DNS' : 'STATIC',
    connect_timeout: '10s',
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: port } } } }] }],
    },
    ...(http2
      ? {
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': `${T}/envoy.extensions.upstreams.http.v3.HttpProtocolOptions`,
              explicit_http_config: { http2_protocol_options: { connection_keepalive: { interval: '30s', timeout: '5s' } } },
            },
          },
          transport_socket: {
            name: 'envoy.transport_sockets.tls',
            typed_config: {
              '@type': `${T}/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`,
              common_tls_context: {
                tls_params: { tls_maximum_protocol_version: 'TLSv1_3' },
                tls_certificate_sds_secret_configs: [{ name: 'xds_certificate', sds_config: { path_config_source: { path: '/sds/xds-certificate.json' }, resource_api_version: 'V3' } }],
                validation_context_sds_secret_config: { name: 'xds_trusted_ca', sds_config: { path_config_source: { path: '/sds/xds-trusted-ca.json' }, resource_api_version: 'V3' } },
              },
            },
          },
        }
      : {}),
  };
}

/** Envoy Gateway's bootstrap listeners for readiness (19003) and Prometheus stats (19001), with inline routes. */
function staticListener(name: string, port: number, statPrefix: string, path: string, cluster: string): Record<string, unknown> {
  return {
    '@type': `${T}/envoy.config.listener.v3.Listener`,
    name,
    address: { socket_address: { address: '0.0.0.0', port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': `${T}/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
              stat_prefix: statPrefix,
              route_config: {
                name: 'local_route',
                virtual_hosts: [{ name: 'prometheus_stats', domains: ['*'], routes: [{ match: { prefix: path }, route: { cluster, prefix_rewrite: path } }] }],
              },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': `${T}/envoy.extensions.filters.http.router.v3.Router` } }],
            },
          },
        ],
      },
    ],
  };
}

/** The bootstrap, with the static resources the Clusters and Listeners dumps repeat. */
interface Bootstrap {
  [field: string]: unknown;
  static_resources: { listeners: unknown[]; clusters: unknown[] };
}

function bootstrap(rng: Random): Bootstrap {
  const extensions = [
    ['envoy.filters.http.router', 'envoy.filters.http', 'envoy.extensions.filters.http.router.v3.Router'],
    ['envoy.filters.http.cors', 'envoy.filters.http', 'envoy.extensions.filters.http.cors.v3.Cors'],
    ['envoy.filters.http.ext_authz', 'envoy.filters.http', 'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz'],
    ['envoy.filters.http.jwt_authn', 'envoy.filters.http', 'envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication'],
    ['envoy.filters.http.local_ratelimit', 'envoy.filters.http', 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit'],
    ['envoy.filters.http.buffer', 'envoy.filters.http', 'envoy.extensions.filters.http.buffer.v3.Buffer'],
    ['envoy.filters.network.http_connection_manager', 'envoy.filters.network', 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'],
    ['envoy.filters.network.tcp_proxy', 'envoy.filters.network', 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy'],
    ['envoy.filters.listener.tls_inspector', 'envoy.filters.listener', 'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector'],
    ['envoy.transport_sockets.tls', 'envoy.transport_sockets.downstream', 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext'],
    ['envoy.access_loggers.file', 'envoy.access_loggers', 'envoy.extensions.access_loggers.file.v3.FileAccessLog'],
    ['envoy.load_balancing_policies.least_request', 'envoy.load_balancing_policies', 'envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest'],
  ].map(([name, category, type]) => ({ name, category, type_urls: [type] }));
  const statsCluster = staticCluster('prometheus_stats', '0.0.0.0', 19000, false);
  const xds = staticCluster('xds_cluster', 'envoy-gateway.envoy-gateway-system.svc.cluster.local', 18000, true);
  return {
    node: {
      id: `default/envoy-gateway-system-gw-00-${rng.hex(8)}-${rng.hex(10)}-${rng.hex(5)}`,
      cluster: 'envoy-gateway-system/gw-00',
      user_agent_name: 'envoy',
      user_agent_build_version: {
        version: { major_number: 1, minor_number: 36, patch: 2 },
        metadata: { 'revision.status': 'Clean', 'revision.sha': rng.hex(40), 'ssl.version': 'BoringSSL', 'build.type': 'RELEASE' },
      },
      extensions,
      locality: {},
    },
    static_resources: {
      listeners: [
        staticListener('envoy-gateway-proxy-stats-0.0.0.0-19001', 19001, 'eg-stats-http', '/stats/prometheus', 'prometheus_stats'),
        staticListener('envoy-gateway-proxy-ready-0.0.0.0-19003', 19003, 'eg-ready-http', '/ready', 'prometheus_stats'),
      ],
      clusters: [statsCluster, xds],
    },
    dynamic_resources: {
      lds_config: { ads: {}, resource_api_version: 'V3' },
      cds_config: { ads: {}, resource_api_version: 'V3' },
      ads_config: { api_type: 'DELTA_GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds_cluster' } }], set_node_on_first_message_only: true },
    },
    admin: { access_log: [{ name: 'envoy.access_loggers.file', typed_config: { '@type': `${T}/envoy.extensions.access_loggers.file.v3.FileAccessLog`, path: '/dev/null' } }], address: { socket_address: { address: '127.0.0.1', port_value: 19000 } } },
    layered_runtime: { layers: [{ name: 'global_config', static_layer: { 'envoy.restart_features.use_eds_cache_for_ads': true, 're2.max_program_size.error_level': 4294967295 } }] },
    overload_manager: {
      refresh_interval: '0.250s',
      resource_monitors: [{ name: 'envoy.resource_monitors.global_downstream_max_connections', typed_config: { '@type': `${T}/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig`, max_active_downstream_connections: '50000' } }],
    },
    stats_config: { stats_matcher: { inclusion_list: { patterns: [{ prefix: 'cluster.' }, { prefix: 'http.' }, { prefix: 'listener.' }, { prefix: 'server.' }] } } },
    cluster_manager: { local_cluster_name: 'local_cluster' },
  };
}

function clusterResource(c: MeshCluster): Record<string, unknown> {
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
            typed_config: { '@type': `${T}/envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest`, locality_lb_config: { locality_weighted_lb_config: {} } },
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
        explicit_http_config: c.http2 ? { http2_protocol_options: { initial_stream_window_size: 65536, initial_connection_window_size: 1048576 } } : { http_protocol_options: {} },
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

function listenerResource(l: MeshListener): Record<string, unknown> {
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
    listener.listener_filters = [{ name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': `${T}/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector` } }];
  } else {
    listener.default_filter_chain = { filters: [hcm], name: l.name };
  }
  listener.per_connection_buffer_limit_bytes = l.bufferLimit;
  listener.access_log = [accessLog(true)];
  listener.max_connections_to_accept_per_socket_event = 1;
  return listener;
}

function routeConfiguration(l: MeshListener): Record<string, unknown> {
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
function loadAssignment(rng: Random, c: MeshCluster, index: number, endpoints: number): Record<string, unknown> {
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
function loadAssignmentBytes(c: MeshCluster, endpoints: number): number {
  const entry = { endpoint_config: loadAssignment(new Random(1), c, 0, endpoints), last_updated: UPDATED };
  // Depth of a dynamic_endpoint_configs element: root > configs > EndpointsConfigDump > list.
  return JSON.stringify(entry, null, 1).replaceAll('\n', '\n    ').length + 6;
}

/** Writes the dump to `path`, adding endpoints until it is about `targetBytes` long. */
export function writeConfigDump(mesh: Mesh, path: string, targetBytes: number): ConfigDumpInfo {
  const rng = new Random(mesh.spec.seed ^ 0xc0f1);
  const sink = new FileSink(path);
  const out = new PrettyJsonWriter(sink, 1);
  const version = (): string => rng.hex(64);

  out.beginObject();
  out.beginArray('configs');
  const boot = bootstrap(rng);
  out.value({ '@type': `${T}/envoy.admin.v3.BootstrapConfigDump`, bootstrap: boot, last_updated: UPDATED });
  out.beginObject();
  out.value(`${T}/envoy.admin.v3.ClustersConfigDump`, '@type');
  out.value(version(), 'version_info');
  out.beginArray('static_clusters');
  for (const cluster of boot.static_resources.clusters) out.value({ cluster, last_updated: UPDATED });
  out.end();
  out.beginArray('dynamic_active_clusters');
  for (const c of mesh.clusters) out.value({ version_info: version(), cluster: clusterResource(c), last_updated: UPDATED });
  out.end();
  out.end();

  out.beginObject();
  out.value(`${T}/envoy.admin.v3.ListenersConfigDump`, '@type');
  out.value(version(), 'version_info');
  out.beginArray('static_listeners');
  for (const listener of boot.static_resources.listeners) out.value({ listener, last_updated: UPDATED });
  out.end();
  out.beginArray('dynamic_listeners');
  for (const l of mesh.listeners) {
    out.value({ name: l.name, active_state: { version_info: version(), listener: listenerResource(l), last_updated: UPDATED } });
  }
  out.end();
  out.end();

  out.value({ '@type': `${T}/envoy.admin.v3.ScopedRoutesConfigDump` });

  out.beginObject();
  out.value(`${T}/envoy.admin.v3.RoutesConfigDump`, '@type');
  out.beginArray('dynamic_route_configs');
  for (const l of mesh.listeners) out.value({ version_info: version(), route_config: routeConfiguration(l), last_updated: UPDATED });
  out.end();
  out.end();

  // One TLS certificate per Gateway; Envoy prints the chain and redacts the key.
  out.beginObject();
  out.value(`${T}/envoy.admin.v3.SecretsConfigDump`, '@type');
  out.beginArray('dynamic_active_secrets');
  for (const gateway of new Set(mesh.listeners.filter((l) => l.tls).map((l) => `${l.gatewayNamespace}/${l.gateway}-tls`))) {
    out.value({
      name: gateway,
      version_info: version(),
      last_updated: UPDATED,
      secret: {
        '@type': `${T}/envoy.extensions.transport_sockets.tls.v3.Secret`,
        name: gateway,
        tls_certificate: { certificate_chain: { inline_bytes: rng.base64(1300) }, private_key: { inline_bytes: 'W3JlZGFjdGVkXQ==' } },
      },
    });
  }
  out.end();
  out.end();

  // Endpoints: scale the per-cluster endpoint counts so the whole file lands near the target size.
  const closing = 40;
  const fixed = mesh.clusters.reduce((sum, c) => sum + loadAssignmentBytes(c, 0), 0);
  const perEndpoint = loadAssignmentBytes(mesh.clusters[0] as MeshCluster, 2) - loadAssignmentBytes(mesh.clusters[0] as MeshCluster, 1);
  const weights = mesh.clusters.reduce((sum, c) => sum + c.endpointWeight, 0);
  const budget = targetBytes - out.written - fixed - closing;
  const scale = Math.max(0, budget / perEndpoint / weights);
  let endpoints = 0;
  out.beginObject();
  out.value(`${T}/envoy.admin.v3.EndpointsConfigDump`, '@type');
  out.beginArray('dynamic_endpoint_configs');
  mesh.clusters.forEach((c, i) => {
    const count = Math.max(1, Math.round(scale * c.endpointWeight));
    endpoints += count;
    out.value({ endpoint_config: loadAssignment(rng, c, i, count), last_updated: UPDATED });
  });
  out.end();
  out.end();

  out.end();
  out.end();
  out.finish();
  sink.close();
  return {
    bytes: sink.written,
    clusters: mesh.clusters.length + boot.static_resources.clusters.length,
    listeners: mesh.listeners.length + boot.static_resources.listeners.length,
    routeConfigs: mesh.listeners.length,
    endpoints,
  };
}
