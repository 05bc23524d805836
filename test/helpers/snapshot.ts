// Small partial fixtures for tests: raw xDS resources and stats by their Envoy names, built into a snapshot
// through the real parsers.

import { assembleSnapshot, knownEntities } from '../../src/parse/assemble.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { parseConfigDump } from '../../src/parse/config-dump.ts';
import { StatsBuilder } from '../../src/parse/stats-builder.ts';

/** What a test proxy holds. */
export interface FixtureSpec {
  id?: string;
  clusters?: object[];
  listeners?: object[];
  routeConfigs?: object[];
  bootstrap?: object;
  /** Stats by full Envoy name (`cluster.<name>.upstream_cx_active`). */
  stats?: Record<string, number>;
  statsLater?: Record<string, number>;
  intervalSeconds?: number;
}

const T = 'type.googleapis.com/envoy';

/** Builds a snapshot from raw resources and stats. */
export function fixture(spec: FixtureSpec): Snapshot {
  const id = spec.id ?? 'proxy-0';
  const hasConfig = spec.clusters || spec.listeners || spec.routeConfigs || spec.bootstrap;
  const config = hasConfig
    ? parseConfigDump(
        {
          id,
          configs: [
            ...(spec.bootstrap ? [{ '@type': `${T}.admin.v3.BootstrapConfigDump`, bootstrap: spec.bootstrap }] : []),
            ...(spec.clusters ?? []).map((c) => ({ '@type': `${T}.config.cluster.v3.Cluster`, ...c })),
            ...(spec.listeners ?? []).map((l) => ({ '@type': `${T}.config.listener.v3.Listener`, ...l })),
            ...(spec.routeConfigs ?? []).map((r) => ({ '@type': `${T}.config.route.v3.RouteConfiguration`, ...r })),
          ],
        },
        'fixture',
      )
    : undefined;
  const known = knownEntities(config);
  const build = (stats: Record<string, number>) => {
    const b = new StatsBuilder('text', known);
    for (const [name, value] of Object.entries(stats)) b.addNamed(name, value);
    return b.sample;
  };
  return assembleSnapshot({
    id,
    ...(config ? { config } : {}),
    ...(spec.stats ? { stats: build(spec.stats) } : {}),
    ...(spec.statsLater ? { statsLater: build(spec.statsLater) } : {}),
    ...(spec.intervalSeconds !== undefined ? { intervalSeconds: spec.intervalSeconds } : {}),
    inputs: {
      ...(config ? { configDump: 'fixture.json' } : {}),
      ...(spec.stats ? { stats: 'stats.txt' } : {}),
      ...(spec.statsLater ? { statsLater: 'stats.later.txt' } : {}),
    },
  });
}

/** Stats of one cluster, by stat name. */
export function clusterStats(cluster: string, stats: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(stats).map(([k, v]) => [`cluster.${cluster}.${k}`, v]));
}

/** Stats of one connection manager, by stat name. */
export function httpStats(prefix: string, stats: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(stats).map(([k, v]) => [`http.${prefix}.${k}`, v]));
}

/** An Envoy Gateway-shaped HTTPS listener with a connection manager serving `routeConfig`. */
export function gatewayListener(
  opts: {
    name?: string;
    port?: number;
    bufferLimit?: number;
    keepalive?: boolean;
    routeConfig?: string;
    upgrade?: boolean;
    alpn?: string[];
    hcm?: object;
  } = {},
): object {
  const port = opts.port ?? 10443;
  return {
    name: opts.name ?? 'home/eg/https',
    address: { socket_address: { address: '0.0.0.0', port_value: port } },
    ...(opts.bufferLimit !== undefined ? { per_connection_buffer_limit_bytes: opts.bufferLimit } : {}),
    ...(opts.keepalive
      ? {
          socket_options: [
            { level: '1', name: '9', int_value: '1' },
            { level: '6', name: '4', int_value: '60', state: 'STATE_PREBIND' },
          ],
        }
      : {}),
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: `https-${port}`,
              rds: { route_config_name: opts.routeConfig ?? 'home/eg/https' },
              ...(opts.upgrade === false ? {} : { upgrade_configs: [{ upgrade_type: 'websocket' }] }),
              http_filters: [{ name: 'envoy.filters.http.router' }],
              ...opts.hcm,
            },
          },
        ],
        // TLS terminated by the listener, offering `alpn` to clients in that order.
        ...(opts.alpn
          ? {
              transport_socket: {
                name: 'envoy.transport_sockets.tls',
                typed_config: {
                  '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
                  common_tls_context: { alpn_protocols: opts.alpn },
                },
              },
            }
          : {}),
      },
    ],
  };
}

/** A route configuration with one route per cluster. */
export function routeConfig(name: string, clusters: string[], routeExtra: object = {}): object {
  return {
    name,
    virtual_hosts: [
      {
        name: `${name}/vh`,
        domains: ['*'],
        routes: clusters.map((c, i) => ({ name: `${c}/match/${i}`, match: { prefix: '/' }, route: { cluster: c, ...routeExtra } })),
      },
    ],
  };
}

/** An Envoy Gateway-shaped cluster. */
export function gatewayCluster(name: string, extra: object = {}): object {
  return { name, type: 'EDS', connect_timeout: '10s', ...extra };
}
