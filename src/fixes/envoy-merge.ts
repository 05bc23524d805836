// Plain-Envoy fixes merged into the whole live resource they patch, so the result can replace the live cluster,
// listener or route as it is and still pass `envoy --mode validate`:
// - a cluster's HTTP protocol options (`envoy.extensions.upstreams.http.v3.HttpProtocolOptions`,
//   api/envoy/extensions/upstreams/http/v3/http_protocol_options.proto) hold `upstream_protocol_options`, a required
//   oneof of `explicit_http_config`, `use_downstream_protocol_config` and `auto_config`: a new member replaces the
//   live one and carries its HTTP/1.1 and HTTP/2 options over; a cluster still on the deprecated cluster-level
//   protocol fields (cluster.proto `common_http_protocol_options`, `http2_protocol_options`, `protocol_selection`)
//   is patched there, since Envoy refuses the two forms together;
// - `circuit_breakers.thresholds` (circuit_breaker.proto) is merged by priority: the DEFAULT entry (an entry
//   without `priority` is DEFAULT) gets the new limits, other fields (retry budget, max_retries, track_remaining) and
//   the HIGH entry stay;
// - listener `socket_options` (core/v3/socket_option.proto) are merged by level and name, others stay; Envoy >= 1.37
//   listeners get `Listener.tcp_keepalive` instead when the running version is known;
// - connection manager and TCP proxy fields go into every such filter of the listener (`typed_config`, or the legacy
//   `config` Struct), route fields into the route entry's RouteAction.
// Field names follow the live object's spelling (Envoy's admin prints snake_case, egctl camelCase; Envoy reads both).

import { compareVersions } from '../model/envoy-version.ts';
import type { FixChange } from '../model/finding.ts';
import { BUFFER_FILTER } from '../model/snapshot.ts';
import { protoDuration } from './changes.ts';

type Obj = Record<string, unknown>;

export const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
/** The buffer filter's per-route config (api/envoy/extensions/filters/http/buffer/v3/buffer.proto). */
export const BUFFER_PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute';
export const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
export const TCP_PROXY_FILTER = 'envoy.filters.network.tcp_proxy';
/** The Envoy release that added `Listener.tcp_keepalive`. */
export const LISTENER_TCP_KEEPALIVE_SINCE = '1.37.0';

/** The cluster-level protocol fields deprecated in favour of HttpProtocolOptions (cluster.proto). */
const LEGACY_PROTOCOL_FIELDS = ['common_http_protocol_options', 'http_protocol_options', 'http2_protocol_options', 'upstream_http_protocol_options', 'protocol_selection'];
/** The `upstream_protocol_options` oneof of HttpProtocolOptions. */
const UPSTREAM_PROTOCOL_ONEOF = ['explicit_http_config', 'use_downstream_protocol_config', 'auto_config'];

/** Linux keepalive socket options: SO_KEEPALIVE (SOL_SOCKET 1, 9), TCP_KEEPIDLE/INTVL/CNT (IPPROTO_TCP 6, 4/5/6). */
export function keepaliveSocketOptions(c: { probes: number; timeSeconds: number; intervalSeconds: number }): Obj[] {
  const option = (description: string, level: number, name: number, value: number): Obj => ({ description, level, name, int_value: value, state: 'STATE_PREBIND' });
  return [
    option('SO_KEEPALIVE', 1, 9, 1),
    option('TCP_KEEPIDLE', 6, 4, c.timeSeconds),
    option('TCP_KEEPINTVL', 6, 5, c.intervalSeconds),
    option('TCP_KEEPCNT', 6, 6, c.probes),
  ];
}

/** True when the proxy runs an Envoy known to have `Listener.tcp_keepalive`. */
export function hasListenerTcpKeepalive(envoyVersion: string | undefined): boolean {
  if (envoyVersion === undefined) return false;
  return (compareVersions(envoyVersion, LISTENER_TCP_KEEPALIVE_SINCE) ?? -1) >= 0;
}

const camel = (snake: string): string => snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Reads and writes proto JSON fields in whichever spelling the live resource uses. */
class Spelling {
  readonly camelCase: boolean;

  constructor(root: Obj) {
    const keys = Object.keys(root).filter((k) => k !== '@type');
    this.camelCase = !keys.some((k) => k.includes('_')) && keys.some((k) => /[a-z][A-Z]/.test(k));
  }

  /** The key a field has in `o`: the one present, else the resource's spelling. */
  key(o: Obj, snake: string): string {
    if (snake in o) return snake;
    const c = camel(snake);
    if (c in o) return c;
    return this.camelCase ? c : snake;
  }

  get(o: Obj, snake: string): unknown {
    return o[this.key(o, snake)];
  }

  set(o: Obj, snake: string, value: unknown): void {
    o[this.key(o, snake)] = value;
  }

  has(o: Obj, snake: string): boolean {
    return snake in o || camel(snake) in o;
  }

  delete(o: Obj, snake: string): void {
    delete o[snake];
    delete o[camel(snake)];
  }

  /** The object at a field, created when absent. */
  child(o: Obj, snake: string): Obj {
    const k = this.key(o, snake);
    const v = o[k];
    if (isObj(v)) return v;
    const created: Obj = {};
    o[k] = created;
    return created;
  }

  /** Writes `value` with its field names in the resource's spelling (map keys such as `@type` never contain `_`). */
  spell(value: unknown): unknown {
    if (!this.camelCase) return value;
    if (Array.isArray(value)) return value.map((v) => this.spell(v));
    if (!isObj(value)) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.includes('.') ? k : camel(k), this.spell(v)]));
  }
}

/** What a change could not do to a live resource, and what it removed on purpose. */
export interface MergeOutcome {
  /** Fields removed on purpose (a replaced oneof member, a limit lifted), as JSON pointers into the live object. */
  removed: string[];
  /** Changes that did not apply to this object (e.g. a route without a RouteAction), by kind. */
  skipped: string[];
}

function pointer(...parts: Array<string | number>): string {
  return parts.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** The HttpProtocolOptions entry of a cluster and its key, when it has one. */
function httpProtocolOptions(sp: Spelling, cluster: Obj): { map: Obj; key: string; options: Obj } | undefined {
  const map = sp.get(cluster, 'typed_extension_protocol_options');
  if (!isObj(map)) return undefined;
  for (const [key, options] of Object.entries(map)) {
    if (!isObj(options)) continue;
    const type = typeof options['@type'] === 'string' ? options['@type'] : '';
    if (key === HTTP_PROTOCOL_OPTIONS || type.endsWith(`/${HTTP_PROTOCOL_OPTIONS}`)) return { map, key, options };
  }
  return undefined;
}

function usesLegacyProtocolFields(sp: Spelling, cluster: Obj): boolean {
  return LEGACY_PROTOCOL_FIELDS.some((f) => sp.has(cluster, f));
}

/**
 * The HttpProtocolOptions a cluster change writes to, created when absent. A new entry needs its required
 * `upstream_protocol_options`: HTTP/1.1, what a cluster without protocol options speaks.
 */
function ensureHttpProtocolOptions(sp: Spelling, cluster: Obj): Obj {
  const found = httpProtocolOptions(sp, cluster);
  if (found) return found.options;
  const map = sp.child(cluster, 'typed_extension_protocol_options');
  const options = { '@type': `type.googleapis.com/${HTTP_PROTOCOL_OPTIONS}`, ...(sp.spell({ explicit_http_config: { http_protocol_options: {} } }) as Obj) };
  map[HTTP_PROTOCOL_OPTIONS] = options;
  return options;
}

/** The connection-manager or TCP proxy configs of a listener's filters, with their JSON pointers. */
function networkFilterConfigs(sp: Spelling, listener: Obj, filterName: string, typeSuffix: string): Array<{ config: Obj; at: string }> {
  const out: Array<{ config: Obj; at: string }> = [];
  const chains: Array<{ chain: unknown; at: string }> = [];
  const list = sp.get(listener, 'filter_chains');
  if (Array.isArray(list)) list.forEach((chain, i) => chains.push({ chain, at: pointer(sp.key(listener, 'filter_chains'), i) }));
  const def = sp.get(listener, 'default_filter_chain');
  if (def !== undefined) chains.push({ chain: def, at: pointer(sp.key(listener, 'default_filter_chain')) });
  for (const { chain, at } of chains) {
    if (!isObj(chain)) continue;
    const filters = sp.get(chain, 'filters');
    if (!Array.isArray(filters)) continue;
    filters.forEach((f, i) => {
      if (!isObj(f)) return;
      const typed = sp.get(f, 'typed_config');
      const type = isObj(typed) && typeof typed['@type'] === 'string' ? typed['@type'] : '';
      // Envoy <= 1.13 named the filters without `filters.network.` (`envoy.http_connection_manager`).
      if (f.name !== filterName && f.name !== filterName.replace('filters.network.', '') && !type.endsWith(typeSuffix)) return;
      const filterAt = `${at}${pointer(sp.key(chain, 'filters'), i)}`;
      if (isObj(typed)) out.push({ config: typed, at: `${filterAt}${pointer(sp.key(f, 'typed_config'))}` });
      else {
        const legacy = sp.get(f, 'config');
        if (isObj(legacy)) out.push({ config: legacy, at: `${filterAt}/config` });
      }
    });
  }
  return out;
}

const asNumber = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);

function mergeCircuitBreakers(sp: Spelling, cluster: Obj, c: Extract<FixChange, { kind: 'cluster-circuit-breakers' }>): void {
  const breakers = sp.child(cluster, 'circuit_breakers');
  const key = sp.key(breakers, 'thresholds');
  const thresholds = Array.isArray(breakers[key]) ? (breakers[key] as unknown[]) : [];
  breakers[key] = thresholds;
  let entry = thresholds.find((t): t is Obj => isObj(t) && (t.priority === undefined || t.priority === 'DEFAULT' || t.priority === 0));
  if (!entry) {
    entry = { priority: 'DEFAULT' };
    thresholds.push(entry);
  }
  const limits: Array<[string, number]> = [
    ['max_connections', c.maxConnections],
    ['max_pending_requests', c.maxPendingRequests],
    ['max_requests', c.maxRequests],
  ];
  for (const [field, value] of limits) {
    // A live limit above the new one stays: the fix only raises.
    const live = asNumber(sp.get(entry, field));
    sp.set(entry, field, live !== undefined && live > value ? sp.get(entry, field) : value);
  }
}

function mergeClientProtocol(sp: Spelling, cluster: Obj, out: MergeOutcome): void {
  const found = httpProtocolOptions(sp, cluster);
  if (!found && usesLegacyProtocolFields(sp, cluster)) {
    sp.set(cluster, 'protocol_selection', 'USE_DOWNSTREAM_PROTOCOL');
    return;
  }
  const options = found?.options ?? ensureHttpProtocolOptions(sp, cluster);
  const optionsAt = pointer(sp.key(cluster, 'typed_extension_protocol_options'), found?.key ?? HTTP_PROTOCOL_OPTIONS);
  // The HTTP/1.1 and HTTP/2 settings of the member being replaced are kept in the new one.
  let http1: unknown;
  let http2: unknown;
  for (const member of UPSTREAM_PROTOCOL_ONEOF) {
    const v = sp.get(options, member);
    if (!isObj(v)) continue;
    http1 ??= sp.get(v, 'http_protocol_options');
    http2 ??= sp.get(v, 'http2_protocol_options');
  }
  for (const member of UPSTREAM_PROTOCOL_ONEOF) {
    if (member === 'use_downstream_protocol_config' || !sp.has(options, member)) continue;
    if (found) out.removed.push(`${optionsAt}${pointer(sp.key(options, member))}`);
    sp.delete(options, member);
  }
  const downstream = sp.child(options, 'use_downstream_protocol_config');
  sp.set(downstream, 'http_protocol_options', isObj(http1) ? http1 : {});
  if (isObj(http2)) sp.set(downstream, 'http2_protocol_options', http2);
}

function mergeMaxConnectionDuration(sp: Spelling, cluster: Obj, ms: number, out: MergeOutcome): void {
  const found = httpProtocolOptions(sp, cluster);
  if (ms === 0) {
    // Lifting the limit is removing the field, wherever it is set.
    const places: Array<{ o: unknown; at: string }> = [{ o: sp.get(cluster, 'common_http_protocol_options'), at: pointer(sp.key(cluster, 'common_http_protocol_options')) }];
    if (found) places.push({ o: sp.get(found.options, 'common_http_protocol_options'), at: pointer(sp.key(cluster, 'typed_extension_protocol_options'), found.key, sp.key(found.options, 'common_http_protocol_options')) });
    for (const { o, at } of places) {
      if (!isObj(o) || !sp.has(o, 'max_connection_duration')) continue;
      out.removed.push(`${at}${pointer(sp.key(o, 'max_connection_duration'))}`);
      sp.delete(o, 'max_connection_duration');
    }
    return;
  }
  const common = !found && usesLegacyProtocolFields(sp, cluster) ? sp.child(cluster, 'common_http_protocol_options') : sp.child(ensureHttpProtocolOptions(sp, cluster), 'common_http_protocol_options');
  sp.set(common, 'max_connection_duration', protoDuration(ms));
}

function mergeListenerKeepalive(sp: Spelling, listener: Obj, c: Extract<FixChange, { kind: 'listener-tcp-keepalive' }>, envoyVersion: string | undefined, out: MergeOutcome): void {
  const options = sp.get(listener, 'socket_options');
  const list = Array.isArray(options) ? (options as unknown[]) : [];
  const wanted = keepaliveSocketOptions(c);
  const same = (o: unknown, w: Obj) => isObj(o) && asNumber(o.level) === w.level && asNumber(o.name) === w.name;
  if (hasListenerTcpKeepalive(envoyVersion)) {
    const keepalive = sp.child(listener, 'tcp_keepalive');
    sp.set(keepalive, 'keepalive_probes', c.probes);
    sp.set(keepalive, 'keepalive_time', c.timeSeconds);
    sp.set(keepalive, 'keepalive_interval', c.intervalSeconds);
    // Keepalive socket options would set the same socket fields a second time: tcp_keepalive replaces them.
    const kept = list.filter((o, i) => {
      const drop = wanted.some((w) => same(o, w));
      if (drop) out.removed.push(pointer(sp.key(listener, 'socket_options'), i));
      return !drop;
    });
    if (Array.isArray(options)) {
      if (kept.length > 0) sp.set(listener, 'socket_options', kept);
      else sp.delete(listener, 'socket_options');
    }
    return;
  }
  for (const w of wanted) {
    const spelled = sp.spell(w) as Obj;
    const at = list.findIndex((o) => same(o, w));
    if (at >= 0) list[at] = spelled;
    else list.push(spelled);
  }
  sp.set(listener, 'socket_options', list);
}

function mergeRouteAction(sp: Spelling, route: Obj, c: FixChange, out: MergeOutcome): void {
  const action = sp.get(route, 'route');
  if (!isObj(action)) {
    // A redirect or direct response forwards nothing: a RouteAction beside it would break the action oneof.
    out.skipped.push(c.kind);
    return;
  }
  switch (c.kind) {
    case 'route-timeout':
      sp.set(action, 'timeout', protoDuration(c.ms));
      return;
    case 'route-idle-timeout':
      sp.set(action, 'idle_timeout', protoDuration(c.ms));
      return;
    case 'route-max-stream-duration':
      sp.set(sp.child(action, 'max_stream_duration'), 'max_stream_duration', protoDuration(c.ms));
      return;
    case 'route-websocket-upgrade': {
      const key = sp.key(action, 'upgrade_configs');
      const list = Array.isArray(action[key]) ? (action[key] as unknown[]) : [];
      action[key] = list;
      const live = list.find((u): u is Obj => isObj(u) && typeof sp.get(u, 'upgrade_type') === 'string' && (sp.get(u, 'upgrade_type') as string).toLowerCase() === 'websocket');
      if (live) sp.set(live, 'enabled', true);
      else list.push(sp.spell({ upgrade_type: 'websocket' }));
      return;
    }
    default:
      return;
  }
}

/** Merges the changes of one cluster into its live object (in place). */
export function mergeCluster(cluster: Obj, changes: readonly FixChange[]): MergeOutcome {
  const sp = new Spelling(cluster);
  const out: MergeOutcome = { removed: [], skipped: [] };
  for (const c of changes) {
    switch (c.kind) {
      case 'cluster-buffer-limit':
        sp.set(cluster, 'per_connection_buffer_limit_bytes', c.bytes);
        break;
      case 'cluster-tcp-keepalive': {
        const keepalive = sp.child(sp.child(cluster, 'upstream_connection_options'), 'tcp_keepalive');
        sp.set(keepalive, 'keepalive_probes', c.probes);
        sp.set(keepalive, 'keepalive_time', c.timeSeconds);
        sp.set(keepalive, 'keepalive_interval', c.intervalSeconds);
        break;
      }
      case 'cluster-max-connection-duration':
        mergeMaxConnectionDuration(sp, cluster, c.ms, out);
        break;
      case 'cluster-max-stream-duration': {
        const found = httpProtocolOptions(sp, cluster);
        const common = !found && usesLegacyProtocolFields(sp, cluster) ? sp.child(cluster, 'common_http_protocol_options') : sp.child(ensureHttpProtocolOptions(sp, cluster), 'common_http_protocol_options');
        sp.set(common, 'max_stream_duration', protoDuration(c.ms));
        break;
      }
      case 'cluster-circuit-breakers':
        mergeCircuitBreakers(sp, cluster, c);
        break;
      case 'cluster-client-protocol':
        mergeClientProtocol(sp, cluster, out);
        break;
      default:
        out.skipped.push(c.kind);
    }
  }
  return out;
}

/** Merges the changes of one listener (its own fields, its connection managers and TCP proxies) into its live object. */
export function mergeListener(listener: Obj, changes: readonly FixChange[], envoyVersion: string | undefined): MergeOutcome {
  const sp = new Spelling(listener);
  const out: MergeOutcome = { removed: [], skipped: [] };
  const hcms = () => networkFilterConfigs(sp, listener, HCM_FILTER, '.HttpConnectionManager');
  for (const c of changes) {
    switch (c.kind) {
      case 'listener-buffer-limit':
        sp.set(listener, 'per_connection_buffer_limit_bytes', c.bytes);
        break;
      case 'listener-tcp-keepalive':
        mergeListenerKeepalive(sp, listener, c, envoyVersion, out);
        break;
      case 'listener-stream-idle-timeout':
        for (const { config } of hcms()) sp.set(config, 'stream_idle_timeout', protoDuration(c.ms));
        break;
      case 'listener-max-stream-duration':
        for (const { config, at } of hcms()) {
          if (c.ms > 0) {
            sp.set(sp.child(config, 'common_http_protocol_options'), 'max_stream_duration', protoDuration(c.ms));
            continue;
          }
          const common = sp.get(config, 'common_http_protocol_options');
          if (!isObj(common) || !sp.has(common, 'max_stream_duration')) continue;
          out.removed.push(`${at}${pointer(sp.key(config, 'common_http_protocol_options'), sp.key(common, 'max_stream_duration'))}`);
          sp.delete(common, 'max_stream_duration');
        }
        break;
      case 'listener-allow-connect':
        for (const { config } of hcms()) sp.set(sp.child(config, 'http2_protocol_options'), 'allow_connect', true);
        break;
      case 'tcp-proxy-idle-timeout':
        for (const { config } of networkFilterConfigs(sp, listener, TCP_PROXY_FILTER, '.TcpProxy')) {
          if (sp.get(config, 'stat_prefix') === c.statPrefix) sp.set(config, 'idle_timeout', protoDuration(c.ms));
        }
        break;
      default:
        out.skipped.push(c.kind);
    }
  }
  return out;
}

/** Merges the changes of one route into its live route entry (`virtual_hosts[].routes[]`). */
export function mergeRoute(route: Obj, changes: readonly FixChange[]): MergeOutcome {
  const sp = new Spelling(route);
  const out: MergeOutcome = { removed: [], skipped: [] };
  for (const c of changes) {
    switch (c.kind) {
      case 'route-timeout':
      case 'route-idle-timeout':
      case 'route-max-stream-duration':
      case 'route-websocket-upgrade':
        mergeRouteAction(sp, route, c, out);
        break;
      case 'route-disable-request-buffer': {
        const configs = sp.child(route, 'typed_per_filter_config');
        configs[BUFFER_FILTER] = { '@type': BUFFER_PER_ROUTE, disabled: true };
        break;
      }
      default:
        out.skipped.push(c.kind);
    }
  }
  return out;
}

/**
 * Adds stat-name prefixes to a live bootstrap's `stats_config.stats_matcher.inclusion_list`, keeping every live
 * pattern as it is written. The matcher is a oneof of `reject_all`, `exclusion_list` and `inclusion_list`
 * (api/envoy/config/metrics/v3/stats.proto): another member is removed.
 */
export function mergeBootstrapInclusion(bootstrap: Obj, prefixes: readonly string[]): MergeOutcome {
  const sp = new Spelling(bootstrap);
  const out: MergeOutcome = { removed: [], skipped: [] };
  const config = sp.child(bootstrap, 'stats_config');
  const matcher = sp.child(config, 'stats_matcher');
  for (const member of ['reject_all', 'exclusion_list']) {
    if (!sp.has(matcher, member)) continue;
    out.removed.push(pointer(sp.key(bootstrap, 'stats_config'), sp.key(config, 'stats_matcher'), sp.key(matcher, member)));
    sp.delete(matcher, member);
  }
  const list = sp.child(matcher, 'inclusion_list');
  const key = sp.key(list, 'patterns');
  const patterns = Array.isArray(list[key]) ? (list[key] as unknown[]) : [];
  const have = new Set(patterns.flatMap((p) => (isObj(p) && typeof p.prefix === 'string' && !sp.get(p, 'ignore_case') ? [p.prefix] : [])));
  for (const prefix of prefixes) if (!have.has(prefix)) patterns.push({ prefix });
  list[key] = patterns;
  return out;
}

/** One difference between the live object and the merged one. */
export interface FieldChange {
  /** JSON pointer into the object. */
  path: string;
  /** The live value; absent when the field is new. */
  before?: unknown;
  /** The merged value; absent when the field was removed. */
  after?: unknown;
}

/** The leaves that differ between two JSON values, as JSON pointers (arrays compared by index). */
export function diffJson(before: unknown, after: unknown, at = ''): FieldChange[] {
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => {
      const path = `${at}${pointer(k)}`;
      if (!(k in after)) return [{ path, before: before[k] }];
      if (!(k in before)) return [{ path, after: after[k] }];
      return diffJson(before[k], after[k], path);
    });
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const out: FieldChange[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const path = `${at}${pointer(i)}`;
      if (i >= after.length) out.push({ path, before: before[i] });
      else if (i >= before.length) out.push({ path, after: after[i] });
      else out.push(...diffJson(before[i], after[i], path));
    }
    return out;
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ path: at, before, after }];
}
