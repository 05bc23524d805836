// The bootstrap of the bench's Envoy Gateway proxy (api/envoy/config/bootstrap/v3/bootstrap.proto): its node, the
// static clusters and listeners Envoy Gateway's bootstrap holds (stats, readiness, xDS), ADS, admin and stats config.

import type { Random } from './random.ts';
import { T } from './xds-resources.ts';

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
                tls_certificate_sds_secret_configs: [
                  { name: 'xds_certificate', sds_config: { path_config_source: { path: '/sds/xds-certificate.json' }, resource_api_version: 'V3' } },
                ],
                validation_context_sds_secret_config: {
                  name: 'xds_trusted_ca',
                  sds_config: { path_config_source: { path: '/sds/xds-trusted-ca.json' }, resource_api_version: 'V3' },
                },
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
export interface Bootstrap {
  [field: string]: unknown;
  static_resources: { listeners: unknown[]; clusters: unknown[] };
}

/** The bootstrap, its node id and build drawn from `rng`. */
export function bootstrap(rng: Random): Bootstrap {
  const extensions = [
    ['envoy.filters.http.router', 'envoy.filters.http', 'envoy.extensions.filters.http.router.v3.Router'],
    ['envoy.filters.http.cors', 'envoy.filters.http', 'envoy.extensions.filters.http.cors.v3.Cors'],
    ['envoy.filters.http.ext_authz', 'envoy.filters.http', 'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz'],
    ['envoy.filters.http.jwt_authn', 'envoy.filters.http', 'envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication'],
    ['envoy.filters.http.local_ratelimit', 'envoy.filters.http', 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit'],
    ['envoy.filters.http.buffer', 'envoy.filters.http', 'envoy.extensions.filters.http.buffer.v3.Buffer'],
    [
      'envoy.filters.network.http_connection_manager',
      'envoy.filters.network',
      'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    ],
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
      ads_config: {
        api_type: 'DELTA_GRPC',
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: 'xds_cluster' } }],
        set_node_on_first_message_only: true,
      },
    },
    admin: {
      access_log: [
        { name: 'envoy.access_loggers.file', typed_config: { '@type': `${T}/envoy.extensions.access_loggers.file.v3.FileAccessLog`, path: '/dev/null' } },
      ],
      address: { socket_address: { address: '127.0.0.1', port_value: 19000 } },
    },
    layered_runtime: {
      layers: [
        { name: 'global_config', static_layer: { 'envoy.restart_features.use_eds_cache_for_ads': true, 're2.max_program_size.error_level': 4294967295 } },
      ],
    },
    overload_manager: {
      refresh_interval: '0.250s',
      resource_monitors: [
        {
          name: 'envoy.resource_monitors.global_downstream_max_connections',
          typed_config: {
            '@type': `${T}/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig`,
            max_active_downstream_connections: '50000',
          },
        },
      ],
    },
    stats_config: {
      stats_matcher: { inclusion_list: { patterns: [{ prefix: 'cluster.' }, { prefix: 'http.' }, { prefix: 'listener.' }, { prefix: 'server.' }] } },
    },
    cluster_manager: { local_cluster_name: 'local_cluster' },
  };
}
