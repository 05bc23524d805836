// What the plain-Envoy pieces of the fix kinds share: the fields and live-resource edits several kinds make, so the
// merged resource still passes `envoy --mode validate`:
// - a cluster's HTTP protocol options (`envoy.extensions.upstreams.http.v3.HttpProtocolOptions`,
//   api/envoy/extensions/upstreams/http/v3/http_protocol_options.proto) hold `upstream_protocol_options`, a required
//   oneof of `explicit_http_config`, `use_downstream_protocol_config` and `auto_config`; a cluster still on the
//   deprecated cluster-level protocol fields (api/envoy/config/cluster/v3/cluster.proto `common_http_protocol_options`,
//   `http2_protocol_options`, `protocol_selection`) is patched there, since Envoy refuses the two forms together;
// - connection manager and TCP proxy fields go into every such filter of the listener (`typed_config`, or the legacy
//   `config` Struct; api/envoy/config/listener/v3/listener_components.proto), route fields into the route entry's
//   RouteAction (api/envoy/config/route/v3/route_components.proto);
// - TCP keepalive: `tcp_keepalive` (api/envoy/config/core/v3/address.proto TcpKeepalive) on clusters, and on
//   listeners from Envoy 1.37 (`Listener.tcp_keepalive`), else the Linux socket options
//   (api/envoy/config/core/v3/socket_option.proto).

import { compareVersions } from '../model/envoy-version.ts';
import { liveResource } from '../model/live-resources.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { isObj, type Obj, pointer, Spelling } from './envoy-spelling.ts';

/** The type URL key of a cluster's HTTP protocol options. */
export const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
/** The buffer filter's per-route config (api/envoy/extensions/filters/http/buffer/v3/buffer.proto). */
export const BUFFER_PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute';
/** The Envoy release that added `Listener.tcp_keepalive`. */
const LISTENER_TCP_KEEPALIVE_SINCE = '1.37.0';

const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
const TCP_PROXY_FILTER = 'envoy.filters.network.tcp_proxy';
/** The cluster-level protocol fields deprecated in favour of HttpProtocolOptions (cluster.proto). */
const LEGACY_PROTOCOL_FIELDS = [
  'common_http_protocol_options',
  'http_protocol_options',
  'http2_protocol_options',
  'upstream_http_protocol_options',
  'protocol_selection',
];
/** The `upstream_protocol_options` oneof of HttpProtocolOptions. */
export const UPSTREAM_PROTOCOL_ONEOF = ['explicit_http_config', 'use_downstream_protocol_config', 'auto_config'];

/** The keepalive settings of a change. */
export interface Keepalive {
  probes: number;
  timeSeconds: number;
  intervalSeconds: number;
}

/** A keepalive as Envoy's TcpKeepalive message (core/v3/address.proto). */
export function tcpKeepaliveFields(c: Keepalive): Obj {
  return { keepalive_probes: c.probes, keepalive_time: c.timeSeconds, keepalive_interval: c.intervalSeconds };
}

/** Linux keepalive socket options: SO_KEEPALIVE (SOL_SOCKET 1, 9), TCP_KEEPIDLE/INTVL/CNT (IPPROTO_TCP 6, 4/5/6). */
export function keepaliveSocketOptions(c: Keepalive): Obj[] {
  const option = (description: string, level: number, name: number, value: number): Obj => ({
    description,
    level,
    name,
    int_value: value,
    state: 'STATE_PREBIND',
  });
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

/** A cluster fragment setting fields of its HttpProtocolOptions. */
export function httpOptionsFragment(fields: Obj): Obj {
  return { typed_extension_protocol_options: { [HTTP_PROTOCOL_OPTIONS]: { '@type': `type.googleapis.com/${HTTP_PROTOCOL_OPTIONS}`, ...fields } } };
}

/**
 * The upstream protocol a new HttpProtocolOptions of a cluster needs (HTTP/1.1, what the cluster speaks without one),
 * or nothing when the live cluster already has HttpProtocolOptions or (unknown live object) speaks something else.
 */
export function newProtocolOptionsProtocol(s: Snapshot, cluster: string): Obj {
  const model = s.clusters.get(cluster);
  const live = model ? liveResource(model) : undefined;
  let has = model !== undefined && model.upstreamProtocol !== 'http1';
  if (live) {
    const map = live.typed_extension_protocol_options ?? live.typedExtensionProtocolOptions;
    has = map !== null && typeof map === 'object' && Object.keys(map).length > 0 && JSON.stringify(map).includes('HttpProtocolOptions');
  }
  return has ? {} : { explicit_http_config: { http_protocol_options: {} } };
}

/** What a merge could not do to a live resource, and what it removed on purpose. */
export interface MergeOutcome {
  /** Fields removed on purpose (a replaced oneof member, a limit lifted), as JSON pointers into the live object. */
  removed: string[];
  /** Changes that did not apply to this object (e.g. a route without a RouteAction), by kind. */
  skipped: string[];
}

/** One live resource (a cluster, a listener, a route entry) being edited in place, in its own spelling. */
export class LiveEdit {
  readonly resource: Obj;
  readonly envoyVersion: string | undefined;
  readonly sp: Spelling;
  readonly out: MergeOutcome = { removed: [], skipped: [] };

  constructor(resource: Obj, envoyVersion: string | undefined) {
    this.resource = resource;
    this.envoyVersion = envoyVersion;
    this.sp = new Spelling(resource);
  }

  /** Sets fields on an object of the resource, nested objects merged into the live ones (created when absent). */
  setFields(o: Obj, fields: Obj): void {
    for (const [field, value] of Object.entries(fields)) {
      if (isObj(value)) this.setFields(this.sp.child(o, field), value);
      else this.sp.set(o, field, value);
    }
  }

  /** The HttpProtocolOptions entry of the cluster and its key, when it has one. */
  httpProtocolOptions(): { key: string; options: Obj } | undefined {
    const map = this.sp.get(this.resource, 'typed_extension_protocol_options');
    if (!isObj(map)) return undefined;
    for (const [key, options] of Object.entries(map)) {
      if (!isObj(options)) continue;
      const type = typeof options['@type'] === 'string' ? options['@type'] : '';
      if (key === HTTP_PROTOCOL_OPTIONS || type.endsWith(`/${HTTP_PROTOCOL_OPTIONS}`)) return { key, options };
    }
    return undefined;
  }

  /** True when the cluster still uses the deprecated cluster-level protocol fields. */
  usesLegacyProtocolFields(): boolean {
    return LEGACY_PROTOCOL_FIELDS.some((f) => this.sp.has(this.resource, f));
  }

  /**
   * The HttpProtocolOptions a cluster change writes to, created when absent. A new entry needs its required
   * `upstream_protocol_options`: HTTP/1.1, what a cluster without protocol options speaks.
   */
  ensureHttpProtocolOptions(): Obj {
    const found = this.httpProtocolOptions();
    if (found) return found.options;
    const map = this.sp.child(this.resource, 'typed_extension_protocol_options');
    const options = {
      '@type': `type.googleapis.com/${HTTP_PROTOCOL_OPTIONS}`,
      ...(this.sp.spell({ explicit_http_config: { http_protocol_options: {} } }) as Obj),
    };
    map[HTTP_PROTOCOL_OPTIONS] = options;
    return options;
  }

  /** The `common_http_protocol_options` a cluster duration is set in: the legacy cluster-level one, else HttpProtocolOptions'. */
  commonHttpProtocolOptions(): Obj {
    const legacy = !this.httpProtocolOptions() && this.usesLegacyProtocolFields();
    return this.sp.child(legacy ? this.resource : this.ensureHttpProtocolOptions(), 'common_http_protocol_options');
  }

  /** The listener's HTTP connection manager configs, with their JSON pointers. */
  connectionManagers(): Array<{ config: Obj; at: string }> {
    return this.networkFilterConfigs(HCM_FILTER, '.HttpConnectionManager');
  }

  /** The listener's TCP proxy configs, with their JSON pointers. */
  tcpProxies(): Array<{ config: Obj; at: string }> {
    return this.networkFilterConfigs(TCP_PROXY_FILTER, '.TcpProxy');
  }

  /** The route entry's RouteAction; undefined (and the change skipped) for a redirect or direct response. */
  routeAction(kind: string): Obj | undefined {
    const action = this.sp.get(this.resource, 'route');
    if (isObj(action)) return action;
    // A redirect or direct response forwards nothing: a RouteAction beside it would break the action oneof.
    this.out.skipped.push(kind);
    return undefined;
  }

  private networkFilterConfigs(filterName: string, typeSuffix: string): Array<{ config: Obj; at: string }> {
    const { sp, resource: listener } = this;
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
}
