// Envoy listeners (api/envoy/config/listener/v3/listener.proto) and their network filters into the model's listeners:
// the HTTP connection manager (api/envoy/extensions/filters/network/http_connection_manager/v3/
// http_connection_manager.proto) and the TCP proxy (api/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto).
// Route configurations inlined in a connection manager are handed back, to be read as routes.

import type { ConnectionManager, FilterChain, Listener, TcpKeepalive, TcpProxy } from '../model/snapshot.ts';
import { protoDurationMs, readCommonHttpTimeouts } from './durations.ts';
import { ENVOY_DEFAULT_STREAM_IDLE_TIMEOUT_MS, ENVOY_DEFAULT_TCP_PROXY_IDLE_TIMEOUT_MS, sourcedBufferLimit } from './envoy-defaults.ts';
import { gatewayResources } from './gateway-sources.ts';
import { arr, bool, field, isObj, num, obj, type Obj, str, typeName } from './proto-json.ts';

/** Listener address as it appears in `listener.<address>.` stats (`0.0.0.0_10443`, `[__]_443`). */
export function listenerAddress(l: Obj): string {
  const statPrefix = str(l, 'stat_prefix');
  if (statPrefix) return statPrefix;
  const sa = obj(l, 'address', 'socket_address');
  if (sa) {
    const ip = str(sa, 'address') ?? '';
    const port = num(sa, 'port_value') ?? 0;
    const host = ip.includes(':') ? `[${ip}]` : ip;
    return `${host}:${port}`.replace(/:/g, '_');
  }
  const pipe = str(l, 'address', 'pipe', 'path');
  if (pipe) return pipe;
  return str(l, 'name') ?? '';
}

const SOCKET_OPTION = { SO_KEEPALIVE: '1/9', TCP_KEEPIDLE: '6/4', TCP_KEEPINTVL: '6/5', TCP_KEEPCNT: '6/6' } as const;

/** TCP keepalive from listener `socket_options` (Linux levels and names). */
function listenerKeepalive(l: Obj): TcpKeepalive | undefined {
  const values = new Map<string, number>();
  for (const o of arr(l, 'socket_options')) {
    const key = `${num(o, 'level') ?? ''}/${num(o, 'name') ?? ''}`;
    const v = num(o, 'int_value');
    if (v !== undefined) values.set(key, v);
  }
  if (!values.get(SOCKET_OPTION.SO_KEEPALIVE)) return undefined;
  const out: TcpKeepalive = {};
  const idle = values.get(SOCKET_OPTION.TCP_KEEPIDLE);
  const interval = values.get(SOCKET_OPTION.TCP_KEEPINTVL);
  const probes = values.get(SOCKET_OPTION.TCP_KEEPCNT);
  if (idle !== undefined) out.timeSeconds = idle;
  if (interval !== undefined) out.intervalSeconds = interval;
  if (probes !== undefined) out.probes = probes;
  return out;
}

/** One listener into the model, the route configurations inlined in it pushed to `inlineRouteConfigs`; undefined without a name or address. */
export function parseListener(l: Obj, origin: 'static' | 'dynamic', state: Listener['state'], inlineRouteConfigs: Obj[]): Listener | undefined {
  // Envoy names a listener without a name itself (a UUID the dump does not show): its address stands in.
  const name = str(l, 'name') ?? (obj(l, 'address') ? listenerAddress(l) : undefined);
  if (!name) return undefined;
  const chains = [...arr(l, 'filter_chains'), ...(obj(l, 'default_filter_chain') ? [obj(l, 'default_filter_chain')] : [])];
  const filterChains: FilterChain[] = [];
  for (const chain of chains) {
    if (isObj(chain)) filterChains.push(parseFilterChain(chain, inlineRouteConfigs));
  }
  const listener: Listener = {
    name,
    address: listenerAddress(l),
    bufferLimitBytes: sourcedBufferLimit(num(l, 'per_connection_buffer_limit_bytes')),
    filterChains,
    state,
    bindsSocket: field(l, 'internal_listener') === undefined && bool(l, 'bind_to_port') !== false && obj(l, 'address', 'envoy_internal_address') === undefined,
    sources: gatewayResources(l),
    origin,
  };
  const keepalive = listenerKeepalive(l);
  if (keepalive) listener.tcpKeepalive = keepalive;
  return listener;
}

/** Network filter names of Envoy <= 1.13, to the ones in use now (source/extensions/filters/network/well_known_names.h). */
const LEGACY_NETWORK_FILTERS: Record<string, string> = {
  'envoy.http_connection_manager': 'envoy.filters.network.http_connection_manager',
  'envoy.tcp_proxy': 'envoy.filters.network.tcp_proxy',
};

/** HTTP filter names of Envoy <= 1.13 that an analyzer reads, to the ones in use now. */
const LEGACY_HTTP_FILTERS: Record<string, string> = {
  'envoy.buffer': 'envoy.filters.http.buffer',
  'envoy.router': 'envoy.filters.http.router',
};

/**
 * A filter's configuration and type: `typed_config` (unwrapping a `TypedStruct`), or the legacy `config` Struct of
 * Envoy <= 1.12, whose type is only its filter name.
 */
function filterConfig(filter: unknown): { type: string; config: Obj | undefined } {
  const typed = obj(filter, 'typed_config');
  if (typed && /TypedStruct$/.test(typeName(typed))) {
    const url = str(typed, 'type_url') ?? '';
    return { type: url.slice(url.lastIndexOf('.') + 1), config: obj(typed, 'value') };
  }
  if (typed) return { type: typeName(typed), config: typed };
  return { type: '', config: obj(filter, 'config') };
}

function parseFilterChain(chain: Obj, inlineRouteConfigs: Obj[]): FilterChain {
  // Envoy <= 1.12 puts the DownstreamTlsContext in the chain's `tls_context`.
  const legacyTls = obj(chain, 'tls_context');
  const tlsContext = legacyTls ?? obj(chain, 'transport_socket', 'typed_config');
  const tls = legacyTls !== undefined || (tlsContext !== undefined && /DownstreamTlsContext$/.test(typeName(tlsContext)));
  const fc: FilterChain = {
    name: str(chain, 'name') ?? '',
    alpn: tls ? arr(tlsContext, 'common_tls_context', 'alpn_protocols').filter((x): x is string => typeof x === 'string') : [],
    tls,
    serverNames: arr(chain, 'filter_chain_match', 'server_names').filter((x): x is string => typeof x === 'string'),
  };
  for (const filter of arr(chain, 'filters')) {
    const { type, config } = filterConfig(filter);
    const name = str(filter, 'name') ?? '';
    const filterName = LEGACY_NETWORK_FILTERS[name] ?? name;
    if (type === 'HttpConnectionManager' || filterName === 'envoy.filters.network.http_connection_manager') {
      fc.connectionManager = parseConnectionManager(config ?? {}, inlineRouteConfigs);
    } else if (type === 'TcpProxy' || filterName === 'envoy.filters.network.tcp_proxy') {
      fc.tcpProxy = parseTcpProxy(config ?? {});
    }
  }
  return fc;
}

function upgradeTypes(list: unknown[]): string[] {
  const out: string[] = [];
  for (const u of list) {
    const type = str(u, 'upgrade_type');
    if (type && bool(u, 'enabled') !== false) out.push(type.toLowerCase());
  }
  return out;
}

function httpFilterName(f: unknown): string {
  const name = str(f, 'name') ?? '';
  return LEGACY_HTTP_FILTERS[name] ?? name;
}

function parseConnectionManager(hcm: Obj, inlineRouteConfigs: Obj[]): ConnectionManager {
  const common = obj(hcm, 'common_http_protocol_options');
  const streamIdle = protoDurationMs(field(hcm, 'stream_idle_timeout'));
  const cm: ConnectionManager = {
    statPrefix: str(hcm, 'stat_prefix') ?? '',
    upgradeTypes: upgradeTypes(arr(hcm, 'upgrade_configs')),
    streamIdleTimeoutMs:
      streamIdle === undefined ? { value: ENVOY_DEFAULT_STREAM_IDLE_TIMEOUT_MS, source: 'envoy-default' } : { value: streamIdle, source: 'explicit' },
    http2AllowConnect: bool(hcm, 'http2_protocol_options', 'allow_connect') ?? false,
    codecType: str(hcm, 'codec_type') ?? 'AUTO',
    httpFilters: arr(hcm, 'http_filters')
      .map(httpFilterName)
      .filter((n) => n !== ''),
    disabledHttpFilters: arr(hcm, 'http_filters')
      .filter((f) => bool(f, 'disabled') === true)
      .map(httpFilterName)
      .filter((n) => n !== ''),
    addUserAgent: bool(hcm, 'add_user_agent') ?? false,
  };
  const rdsName = str(hcm, 'rds', 'route_config_name');
  const inline = obj(hcm, 'route_config');
  if (rdsName) cm.routeConfigName = rdsName;
  else if (inline) {
    const inlineName = str(inline, 'name') ?? `inline:${cm.statPrefix}`;
    cm.routeConfigName = inlineName;
    inlineRouteConfigs.push({ ...inline, name: inlineName });
  }
  const requestTimeout = protoDurationMs(field(hcm, 'request_timeout'));
  if (requestTimeout !== undefined) cm.requestTimeoutMs = requestTimeout;
  readCommonHttpTimeouts(common, cm);
  return cm;
}

function parseTcpProxy(tp: Obj): TcpProxy {
  const idle = protoDurationMs(field(tp, 'idle_timeout'));
  const out: TcpProxy = {
    statPrefix: str(tp, 'stat_prefix') ?? '',
    idleTimeoutMs: idle === undefined ? { value: ENVOY_DEFAULT_TCP_PROXY_IDLE_TIMEOUT_MS, source: 'envoy-default' } : { value: idle, source: 'explicit' },
  };
  const cluster = str(tp, 'cluster');
  if (cluster) out.cluster = cluster;
  const weighted = arr(tp, 'weighted_clusters', 'clusters')
    .map((c) => str(c, 'name'))
    .filter((n): n is string => n !== undefined);
  if (weighted.length > 0) out.weightedClusters = weighted;
  return out;
}
