// The synthetic Envoy Gateway mesh both the config dump and the stats are generated from: Gateways with one
// listener per port, HTTPRoutes attached to them, and one EDS cluster per HTTPRoute rule
// (`httproute/<namespace>/<name>/rule/<index>`, as envoyproxy/gateway internal/xds/translator names them).
// A few clusters and listeners carry a planted problem so the analyzers and diagnosis rules have work to do.

import { Random } from './random.ts';

/** Sizes of the mesh and the seed it is drawn from. */
export interface MeshSpec {
  seed: number;
  clusters: number;
  listeners: number;
  /** Namespaces the HTTPRoutes live in. */
  namespaces: number;
  /** Gateways the listeners are spread over. */
  gateways: number;
  /** Problems planted instead of the bench mesh's (2 % of clusters stalled, 5 % closing, 2 % of listeners stalled). */
  problems?: MeshProblems;
}

/** Planted problems other than the bench mesh's rates. */
export interface MeshProblems {
  /** Exactly this many clusters stalled, spread evenly over the mesh; then no cluster closes and no listener stalls. */
  stalledClusters?: number;
  /** Share of clusters whose circuit breakers are all open (connections, requests and pending requests), overflowing. */
  breakersOpen?: number;
}

/** The mesh `npm run bench` measures. */
export const BENCH_MESH: MeshSpec = { seed: 20_261_122, clusters: 5000, listeners: 1000, namespaces: 50, gateways: 50 };

/**
 * The giant mesh: about 20,000 clusters, padded with EDS endpoints to a 1 GiB dump, and sized so that one stats
 * sample holds about 2 million values (one line each in the text format).
 */
export const GIANT_MESH: MeshSpec = { seed: 20_261_122, clusters: 24_000, listeners: 4_800, namespaces: 200, gateways: 200 };

/** A mesh of 20,000 clusters where 20 stall and nothing else is wrong: what one screen of root causes must hold. */
export const STALLED_MESH: MeshSpec = {
  seed: 20_261_207,
  clusters: 20_000,
  listeners: 4_000,
  namespaces: 200,
  gateways: 200,
  problems: { stalledClusters: 20 },
};

/** The bench mesh with every cluster's circuit breakers open besides its planted problems: thousands of broken clusters. */
export const BROKEN_MESH: MeshSpec = { ...BENCH_MESH, problems: { breakersOpen: 1 } };

/** Envoy Gateway's default `per_connection_buffer_limit_bytes` on clusters and listeners. */
export const GATEWAY_BUFFER_LIMIT = 32_768;

/** What a cluster's stats will show. */
export type ClusterHealth = 'healthy' | 'stalled' | 'closing';

/** One EDS cluster: one rule of one HTTPRoute. */
export interface MeshCluster {
  name: string;
  namespace: string;
  route: string;
  rule: number;
  bufferLimit: number;
  tcpKeepalive: boolean;
  http2: boolean;
  /** `common_http_protocol_options.idle_timeout`, when a BackendTrafficPolicy sets one. */
  idleTimeout?: string;
  outlierDetection: boolean;
  /** Relative number of endpoints (0.25 to 1.75); the dump size fixes the scale. */
  endpointWeight: number;
  /** Backends (Services) behind the rule, one EDS locality each. */
  backends: number;
  health: ClusterHealth;
  /** Circuit breakers open, connections and requests at their thresholds, overflows counted. */
  breakersOpen: boolean;
}

/** One HTTPRoute with its hostname and rules (clusters). */
export interface MeshRoute {
  namespace: string;
  name: string;
  hostname: string;
  clusters: MeshCluster[];
}

/** One Gateway listener: an Envoy listener with one HTTP connection manager and its route configuration. */
export interface MeshListener {
  /** `<gateway namespace>/<gateway>/<section>`, which is also the route configuration's name. */
  name: string;
  gatewayNamespace: string;
  gateway: string;
  section: string;
  port: number;
  tls: boolean;
  /** The connection manager's `stat_prefix` (`https-8443`). */
  statPrefix: string;
  /** The listener's name in stats (`0.0.0.0_8443`). */
  statAddress: string;
  bufferLimit: number;
  tcpKeepalive: boolean;
  /** Extra HTTP filters before the router. */
  httpFilters: string[];
  /** Whether clients upgrade to WebSocket through it (stats show upgrades). */
  websocketTraffic: boolean;
  /** Client connections paused and not resumed (downstream flow control). */
  stalled: boolean;
  routes: MeshRoute[];
}

/** The whole mesh. */
export interface Mesh {
  spec: MeshSpec;
  clusters: MeshCluster[];
  listeners: MeshListener[];
}

const EXTRA_FILTERS = ['envoy.filters.http.cors', 'envoy.filters.http.ext_authz', 'envoy.filters.http.jwt_authn', 'envoy.filters.http.local_ratelimit'];

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Draws the mesh from `spec.seed`; the same spec always gives the same mesh. */
export function planMesh(spec: MeshSpec): Mesh {
  const rng = new Random(spec.seed);
  const clusters: MeshCluster[] = [];
  const listeners: MeshListener[] = [];
  const planted = spec.problems?.stalledClusters;
  // With a planted count, one cluster in the middle of every (clusters / count) stalls.
  const stride = planted ? Math.max(1, Math.floor(spec.clusters / planted)) : 0;
  const stalledAt = (index: number): boolean => planted !== undefined && index % stride === Math.floor(stride / 2) && Math.floor(index / stride) < planted;
  let routeCount = 0;
  for (let l = 0; l < spec.listeners; l++) {
    // Clusters are dealt to listeners evenly; within a listener they are grouped into HTTPRoutes of 1-3 rules.
    const first = Math.floor((l * spec.clusters) / spec.listeners);
    const last = Math.floor(((l + 1) * spec.clusters) / spec.listeners);
    const gatewayIndex = l % spec.gateways;
    const port = 8000 + l;
    const tls = rng.chance(0.6);
    const section = `${tls ? 'https' : 'http'}-${port}`;
    const listener: MeshListener = {
      name: `envoy-gateway-system/gw-${pad(gatewayIndex, 2)}/${section}`,
      gatewayNamespace: 'envoy-gateway-system',
      gateway: `gw-${pad(gatewayIndex, 2)}`,
      section,
      port,
      tls,
      statPrefix: section,
      statAddress: `0.0.0.0_${port}`,
      bufferLimit: rng.chance(0.9) ? GATEWAY_BUFFER_LIMIT : 1_048_576,
      tcpKeepalive: rng.chance(0.2),
      httpFilters: EXTRA_FILTERS.filter(() => rng.chance(0.25)),
      websocketTraffic: rng.chance(0.8),
      stalled: rng.chance(0.02) && planted === undefined,
      routes: [],
    };
    let c = first;
    while (c < last) {
      const rules = Math.min(rng.int(1, 3), last - c);
      const namespace = `team-${pad(routeCount % spec.namespaces, 2)}`;
      const name = `app-${pad(routeCount, 4)}`;
      const route: MeshRoute = { namespace, name, hostname: `${name}.${namespace}.example.com`, clusters: [] };
      for (let rule = 0; rule < rules; rule++, c++) {
        const roll = rng.next();
        const drawn: ClusterHealth = roll < 0.02 ? 'stalled' : roll < 0.07 ? 'closing' : 'healthy';
        const health: ClusterHealth = planted === undefined ? drawn : stalledAt(c) ? 'stalled' : 'healthy';
        const cluster: MeshCluster = {
          name: `httproute/${namespace}/${name}/rule/${rule}`,
          namespace,
          route: name,
          rule,
          // A stalled cluster keeps Envoy Gateway's 32 KiB default: the planted root cause.
          bufferLimit: health === 'stalled' || rng.chance(0.85) ? GATEWAY_BUFFER_LIMIT : rng.pick([1_048_576, 4_194_304]),
          tcpKeepalive: rng.chance(0.3),
          http2: rng.chance(0.2),
          outlierDetection: rng.chance(0.2),
          endpointWeight: rng.float(0.25, 1.75),
          backends: rng.int(1, 3),
          health,
          // Spread over the mesh: the share of each thousand clusters, by a stride coprime to 1,000.
          breakersOpen: ((c * 7919) % 1000) / 1000 < (spec.problems?.breakersOpen ?? 0),
        };
        if (rng.chance(0.15)) cluster.idleTimeout = rng.pick(['300s', '3600s', '7200s']);
        clusters.push(cluster);
        route.clusters.push(cluster);
      }
      listener.routes.push(route);
      routeCount++;
    }
    listeners.push(listener);
  }
  return { spec, clusters, listeners };
}
