// One stats sample of the mesh, drawn from its seed: every entity family (clusters, connection managers, listeners)
// with each entity's counters, gauges and histogram summaries, and the stats outside the families. Histograms use
// Envoy's default buckets (source/common/stats/histogram_impl.h).

import type { Mesh, MeshCluster, MeshListener } from './mesh.ts';
import { Random } from './random.ts';
import { CLUSTER_HISTOGRAMS, CLUSTER_STATS, HTTP_HISTOGRAMS, HTTP_STATS, LISTENER_HISTOGRAMS, LISTENER_STATS, type StatType } from './stats-names.ts';

/** A counter or gauge of one entity family, by its name after `<scope>.<entity>.`. */
export interface StatDef {
  /** Text/JSON name; `{hcm}` stands for the listener's connection manager prefix. */
  name: string;
  type: StatType;
  /** Prometheus metric family (`envoy_cluster_upstream_rq_xx`). */
  family: string;
  /** Prometheus labels besides the entity's, in Envoy's order (`envoy_response_code_class="2"`). */
  labels: string[];
}

/** One entity family (clusters, connection managers, listeners) with every entity's values. */
export interface Scope {
  /** Text prefix: `cluster`, `http` or `listener`. */
  prefix: string;
  /** Prometheus label naming the entity. */
  entityLabel: string;
  entities: string[];
  /** Per entity, the connection manager prefix that `{hcm}` stands for (listeners only). */
  hcm?: string[];
  stats: StatDef[];
  /** entities x stats, row by entity. */
  values: Float64Array;
  histograms: string[];
  /** entities x histograms x [count, median, interval median or NaN]. */
  hist: Float64Array;
}

/** A stat outside the entity families (`server.uptime`), or a text readout when `text` is set. */
export interface GlobalStat {
  name: string;
  type: StatType;
  value: number;
  text?: string;
}

/** Envoy's default histogram buckets (source/common/stats/histogram_impl.h). */
export const BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];
/** The quantiles Envoy's histogram summaries report, in percent. */
export const QUANTILES = [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100];

/** The Prometheus family and labels of a stat, with Envoy's tag extraction for response codes and prefixes. */
function statDef(promPrefix: string, [name, type]: [string, StatType]): StatDef {
  const labels: string[] = [];
  let rest = name;
  let hcm = false;
  if (rest.startsWith('http.{hcm}.')) {
    rest = `http.${rest.slice('http.{hcm}.'.length)}`;
    hcm = true;
  }
  const codeClass = /^(.*)_([1-5])xx$/.exec(rest);
  const code = /^(.*)_([1-5]\d\d)$/.exec(rest);
  if (codeClass) {
    rest = `${codeClass[1]}_xx`;
    labels.push(`envoy_response_code_class="${codeClass[2]}"`);
  } else if (code) {
    rest = code[1] as string;
    labels.push(`envoy_response_code="${code[2]}"`);
  }
  if (hcm) labels.push('envoy_http_conn_manager_prefix="{hcm}"');
  return { name, type, family: `${promPrefix}${rest.replaceAll('.', '_')}`, labels };
}

function scope(
  prefix: string,
  entityLabel: string,
  entities: string[],
  defs: Array<[string, StatType]>,
  histograms: string[],
  valuesOf: (index: number) => Record<string, number>,
  histogramOf: (index: number, histogram: string) => [number, number, number],
): Scope {
  const stats = defs.map((d) => statDef(`envoy_${prefix}_`, d));
  const values = new Float64Array(entities.length * stats.length);
  const hist = new Float64Array(entities.length * histograms.length * 3);
  for (let e = 0; e < entities.length; e++) {
    const v = valuesOf(e);
    stats.forEach((s, i) => {
      values[e * stats.length + i] = v[s.name] ?? 0;
    });
    histograms.forEach((h, i) => hist.set(histogramOf(e, h), (e * histograms.length + i) * 3));
  }
  return { prefix, entityLabel, entities, stats, values, histograms, hist };
}

function clusterValues(rng: Random, c: MeshCluster | undefined): Record<string, number> {
  const health = c?.health ?? 'healthy';
  const limit = c?.bufferLimit ?? 1_048_576;
  const rqTotal = rng.int(1_000, 3_000_000);
  const cxTotal = Math.max(50, Math.round(rqTotal / rng.int(5, 300)));
  const cxActive = health === 'stalled' ? rng.int(20, 60) : rng.int(0, 60);
  const destroy = cxTotal - cxActive;
  const remote = Math.round(destroy * rng.float(0.1, 0.6));
  // Upstream closes with a request active: a handful normally, 5-20 % of all closes on a "closing" cluster.
  const remoteActive = health === 'closing' ? Math.max(10, Math.round(destroy * rng.float(0.05, 0.2))) : rng.int(0, 3);
  const localActive = rng.int(0, 3);
  const resumed = rng.int(0, 5_000);
  const outstanding = health === 'stalled' ? rng.int(3, 12) : 0;
  const rq5xx = Math.round(rqTotal * rng.float(0, 0.01));
  const rq4xx = Math.round(rqTotal * rng.float(0, 0.03));
  const endpoints = c ? c.backends * 10 : 1;
  return {
    'default.total_match_count': rqTotal,
    max_host_weight: 1,
    membership_change: rng.int(1, 40),
    membership_healthy: endpoints,
    membership_total: endpoints,
    update_attempt: rng.int(50, 500),
    update_success: rng.int(50, 500),
    upstream_cx_active: cxActive,
    upstream_cx_connect_fail: rng.int(0, 5),
    upstream_cx_destroy: destroy,
    upstream_cx_destroy_local: destroy - remote,
    upstream_cx_destroy_local_with_active_rq: localActive,
    upstream_cx_destroy_remote: remote,
    upstream_cx_destroy_remote_with_active_rq: remoteActive,
    upstream_cx_destroy_with_active_rq: localActive + remoteActive,
    upstream_cx_http1_total: c?.http2 ? 0 : cxTotal,
    upstream_cx_http2_total: c?.http2 ? cxTotal : 0,
    upstream_cx_idle_timeout: Math.round((destroy - remote) * 0.8),
    upstream_cx_rx_bytes_buffered: health === 'stalled' ? rng.int(0, 4096) : rng.int(0, Math.min(4096, limit / 8)),
    upstream_cx_rx_bytes_total: rqTotal * rng.int(2_000, 60_000),
    upstream_cx_total: cxTotal,
    // A stalled cluster holds about one full buffer per paused connection.
    upstream_cx_tx_bytes_buffered: health === 'stalled' ? Math.round(outstanding * limit * rng.float(0.9, 1)) : rng.int(0, Math.min(4096, limit / 8)),
    upstream_cx_tx_bytes_total: rqTotal * rng.int(300, 4_000),
    upstream_flow_control_backed_up_total: resumed,
    upstream_flow_control_drained_total: resumed,
    upstream_flow_control_paused_reading_total: resumed + outstanding,
    upstream_flow_control_resumed_reading_total: resumed,
    upstream_rq_200: rqTotal - rq4xx - rq5xx,
    upstream_rq_2xx: rqTotal - rq4xx - rq5xx,
    upstream_rq_404: rq4xx,
    upstream_rq_4xx: rq4xx,
    upstream_rq_503: rq5xx,
    upstream_rq_5xx: rq5xx,
    upstream_rq_active: rng.int(0, cxActive),
    upstream_rq_cancelled: rng.int(0, 50),
    upstream_rq_completed: rqTotal,
    upstream_rq_pending_total: cxTotal,
    upstream_rq_retry: rng.int(0, 20),
    upstream_rq_rx_reset: rng.int(0, 20),
    upstream_rq_timeout: rng.int(0, 2),
    upstream_rq_total: rqTotal,
    upstream_rq_tx_reset: rng.int(0, 20),
    version: rng.int(1_000_000, 2_000_000_000),
    ...(c?.breakersOpen ? breakersOpen(rng) : {}),
  };
}

/**
 * A cluster whose default-priority circuit breakers are all open: connections and requests at Envoy's default
 * thresholds (1024; the mesh's clusters set only max_retries), and connections and pending requests refused.
 */
function breakersOpen(rng: Random): Record<string, number> {
  return {
    'circuit_breakers.default.cx_open': 1,
    'circuit_breakers.default.rq_open': 1,
    'circuit_breakers.default.rq_pending_open': 1,
    upstream_cx_active: 1024,
    upstream_rq_active: 1024,
    upstream_cx_overflow: rng.int(100, 50_000),
    upstream_rq_pending_overflow: rng.int(100, 50_000),
  };
}

function httpValues(rng: Random, l: MeshListener): Record<string, number> {
  const cxTotal = rng.int(1_000, 500_000);
  const cxActive = rng.int(5, 400);
  const destroy = cxTotal - cxActive;
  const remote = Math.round(destroy * rng.float(0.6, 0.9));
  const remoteActive = rng.int(0, 8);
  const rqTotal = cxTotal * rng.int(2, 20);
  const upgrades = l.websocketTraffic ? rng.int(100, 20_000) : 0;
  const resumed = rng.int(0, 2_000);
  return {
    downstream_cx_active: cxActive,
    downstream_cx_destroy: destroy,
    downstream_cx_destroy_active_rq: remoteActive + 1,
    downstream_cx_destroy_local: destroy - remote,
    downstream_cx_destroy_local_active_rq: 1,
    downstream_cx_destroy_remote: remote,
    downstream_cx_destroy_remote_active_rq: remoteActive,
    downstream_cx_http1_total: Math.round(cxTotal * 0.6),
    downstream_cx_http2_total: cxTotal - Math.round(cxTotal * 0.6),
    downstream_cx_idle_timeout: Math.round((destroy - remote) * 0.7),
    downstream_cx_rx_bytes_buffered: rng.int(0, 2048),
    downstream_cx_rx_bytes_total: rqTotal * rng.int(300, 2_000),
    downstream_cx_total: cxTotal,
    downstream_cx_tx_bytes_buffered: l.stalled ? Math.round(l.bufferLimit * rng.int(2, 6)) : rng.int(0, 2048),
    downstream_cx_tx_bytes_total: rqTotal * rng.int(2_000, 40_000),
    downstream_cx_upgrades_active: l.websocketTraffic ? rng.int(1, cxActive) : 0,
    downstream_cx_upgrades_total: upgrades,
    downstream_flow_control_paused_reading_total: resumed + (l.stalled ? rng.int(2, 6) : 0),
    downstream_flow_control_resumed_reading_total: resumed,
    downstream_rq_1xx: upgrades,
    downstream_rq_2xx: Math.round(rqTotal * 0.95),
    downstream_rq_3xx: Math.round(rqTotal * 0.02),
    downstream_rq_4xx: Math.round(rqTotal * 0.02),
    downstream_rq_5xx: Math.round(rqTotal * 0.01),
    downstream_rq_active: rng.int(0, cxActive),
    downstream_rq_completed: rqTotal,
    downstream_rq_rx_reset: rng.int(0, 100),
    downstream_rq_total: rqTotal,
    downstream_rq_tx_reset: rng.int(0, 100),
    no_route: rng.int(0, 50),
  };
}

function listenerValues(rng: Random): Record<string, number> {
  const total = rng.int(1_000, 500_000);
  const active = rng.int(5, 400);
  const rq = total * 8;
  return {
    downstream_cx_active: active,
    downstream_cx_destroy: total - active,
    downstream_cx_total: total,
    downstream_listener_filter_error: rng.int(0, 3),
    'http.{hcm}.downstream_rq_1xx': rng.int(0, 1000),
    'http.{hcm}.downstream_rq_2xx': Math.round(rq * 0.95),
    'http.{hcm}.downstream_rq_3xx': Math.round(rq * 0.02),
    'http.{hcm}.downstream_rq_4xx': Math.round(rq * 0.02),
    'http.{hcm}.downstream_rq_5xx': Math.round(rq * 0.01),
    'http.{hcm}.downstream_rq_completed': rq,
    no_filter_chain_match: rng.int(0, 20),
    'worker_0.downstream_cx_active': Math.floor(active / 2),
    'worker_0.downstream_cx_total': Math.floor(total / 2),
    'worker_1.downstream_cx_active': active - Math.floor(active / 2),
    'worker_1.downstream_cx_total': total - Math.floor(total / 2),
  };
}

/** A histogram's sample count, median and (when the last interval saw samples) interval median. */
function histogramOf(rng: Random, histogram: string): [number, number, number] {
  const median = histogram.includes('length') ? rng.float(1_000, 600_000) : histogram.includes('connect') ? rng.float(0.5, 5) : rng.float(2, 80);
  const count = rng.chance(0.05) ? 0 : rng.int(1, 2_000_000);
  return [count, median, rng.chance(0.7) ? median * rng.float(0.8, 1.25) : Number.NaN];
}

/** Quantile `q` (percent) of an exponential distribution with the given median, as Envoy's summary reports it. */
function quantile(median: number, q: number): number {
  if (q >= 100) return median * 12;
  return Math.max(median * 0.02, (-median * Math.log1p(-q / 100)) / Math.LN2);
}

/** Four significant digits, printed as Envoy's histogram summaries print them. */
function sig4(x: number): number {
  return Number(x.toPrecision(4));
}

function globals(mesh: Mesh, rng: Random): GlobalStat[] {
  const version = rng.hex(64);
  return [
    { name: 'cluster_manager.cds.version_text', type: 'gauge', value: 0, text: version },
    { name: 'control_plane.identifier', type: 'gauge', value: 0, text: '' },
    { name: 'listener_manager.lds.version_text', type: 'gauge', value: 0, text: version },
    { name: 'cluster_manager.active_clusters', type: 'gauge', value: mesh.clusters.length + 2 },
    { name: 'cluster_manager.cds.update_attempt', type: 'counter', value: 412 },
    { name: 'cluster_manager.cds.update_success', type: 'counter', value: 411 },
    { name: 'cluster_manager.cluster_added', type: 'counter', value: mesh.clusters.length + 2 },
    { name: 'cluster_manager.cluster_modified', type: 'counter', value: 1934 },
    { name: 'cluster_manager.warming_clusters', type: 'gauge', value: 0 },
    { name: 'control_plane.connected_state', type: 'gauge', value: 1 },
    { name: 'listener_manager.lds.update_success', type: 'counter', value: 388 },
    { name: 'listener_manager.total_listeners_active', type: 'gauge', value: mesh.listeners.length + 2 },
    { name: 'listener_manager.total_listeners_warming', type: 'gauge', value: 0 },
    { name: 'runtime.load_success', type: 'counter', value: 1 },
    { name: 'server.concurrency', type: 'gauge', value: 2 },
    { name: 'server.days_until_first_cert_expiring', type: 'gauge', value: 61 },
    { name: 'server.live', type: 'gauge', value: 1 },
    { name: 'server.memory_allocated', type: 'gauge', value: 1_417_332_096 },
    { name: 'server.memory_heap_size', type: 'gauge', value: 1_946_157_056 },
    { name: 'server.total_connections', type: 'gauge', value: 48_211 },
    { name: 'server.uptime', type: 'gauge', value: 1_209_600 },
  ];
}

/** Every entity family of the mesh with its values, drawn from the seed. */
export function sample(mesh: Mesh): { scopes: Scope[]; globals: GlobalStat[] } {
  const rng = new Random(mesh.spec.seed ^ 0x57a7);
  const byName = new Map(mesh.clusters.map((c) => [c.name, c]));
  const clusterNames = [...byName.keys(), 'prometheus_stats', 'xds_cluster'].sort();
  const listeners = [...mesh.listeners].sort((a, b) => (a.statPrefix < b.statPrefix ? -1 : 1));
  const byAddress = [...mesh.listeners].sort((a, b) => (a.statAddress < b.statAddress ? -1 : 1));
  const hist = (_e: number, h: string) => histogramOf(rng, h);
  const scopes = [
    scope(
      'cluster',
      'envoy_cluster_name',
      clusterNames,
      CLUSTER_STATS,
      CLUSTER_HISTOGRAMS,
      (e) => clusterValues(rng, byName.get(clusterNames[e] as string)),
      hist,
    ),
    scope(
      'http',
      'envoy_http_conn_manager_prefix',
      listeners.map((l) => l.statPrefix),
      HTTP_STATS,
      HTTP_HISTOGRAMS,
      (e) => httpValues(rng, listeners[e] as MeshListener),
      hist,
    ),
    {
      ...scope(
        'listener',
        'envoy_listener_address',
        byAddress.map((l) => l.statAddress),
        LISTENER_STATS,
        LISTENER_HISTOGRAMS,
        () => listenerValues(rng),
        hist,
      ),
      hcm: byAddress.map((l) => l.statPrefix),
    },
  ];
  return { scopes, globals: globals(mesh, rng) };
}

/** The text and JSON name of stat `def` of entity `e`. */
export function statName(s: Scope, e: number, def: StatDef): string {
  const tail = s.hcm ? def.name.replace('{hcm}', s.hcm[e] as string) : def.name;
  return `${s.prefix}.${s.entities[e]}.${tail}`;
}

/** Quantile pairs of one histogram, or undefined when it has recorded nothing. */
export function quantilePairs(s: Scope, e: number, h: number): Array<[number | null, number]> | undefined {
  const at = (e * s.histograms.length + h) * 3;
  const count = s.hist[at] as number;
  const median = s.hist[at + 1] as number;
  const interval = s.hist[at + 2] as number;
  if (count === 0) return undefined;
  return QUANTILES.map((q) => [Number.isNaN(interval) ? null : sig4(quantile(interval, q)), sig4(quantile(median, q))]);
}
