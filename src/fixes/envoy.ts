// Fixes as plain Envoy configuration: the fields to set at their exact paths, as a YAML fragment of the
// cluster (api/envoy/config/cluster/v3/cluster.proto, circuit_breaker.proto; upstream HTTP options in
// api/envoy/extensions/upstreams/http/v3/http_protocol_options.proto), route (route/v3/route_components.proto
// RouteAction), listener (listener/v3/listener.proto) or its HTTP connection manager. Listener TCP keepalive uses
// socket options SO_KEEPALIVE (level 1 name 9) and TCP_KEEPIDLE/INTVL/CNT (level 6 names 4/5/6), as
// api/envoy/config/core/v3/socket_option.proto documents for Linux.

import { stringify } from 'yaml';
import type { FixChange } from '../model/finding.ts';
import { BUFFER_FILTER } from '../analyzers/request-buffering.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { changeTarget, deepMerge, protoDuration } from './changes.ts';
import type { FixRenderer, RenderedChangeSet } from './renderer.ts';
import { envoyStatsInclusion } from './stats-inclusion.ts';

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
/** The buffer filter's per-route config (api/envoy/extensions/filters/http/buffer/v3/buffer.proto). */
export const BUFFER_PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute';

function httpOptions(fields: Record<string, unknown>): Record<string, unknown> {
  return { typed_extension_protocol_options: { [HTTP_PROTOCOL_OPTIONS]: { '@type': `type.googleapis.com/${HTTP_PROTOCOL_OPTIONS}`, ...fields } } };
}

function socketOption(description: string, level: number, name: number, value: number) {
  return { description, level, name, int_value: value, state: 'STATE_PREBIND' };
}

/** The fields one change sets on its resource; `hcm` and `tcp` fields go to the listener's HTTP connection manager or TCP proxy. */
function fragment(c: FixChange): { resource?: Record<string, unknown>; hcm?: Record<string, unknown>; tcp?: Record<string, unknown> } {
  switch (c.kind) {
    case 'cluster-buffer-limit':
    case 'listener-buffer-limit':
      return { resource: { per_connection_buffer_limit_bytes: c.bytes } };
    case 'cluster-tcp-keepalive':
      return { resource: { upstream_connection_options: { tcp_keepalive: { keepalive_probes: c.probes, keepalive_time: c.timeSeconds, keepalive_interval: c.intervalSeconds } } } };
    case 'listener-tcp-keepalive':
      return {
        resource: {
          socket_options: [
            socketOption('SO_KEEPALIVE', 1, 9, 1),
            socketOption('TCP_KEEPIDLE', 6, 4, c.timeSeconds),
            socketOption('TCP_KEEPINTVL', 6, 5, c.intervalSeconds),
            socketOption('TCP_KEEPCNT', 6, 6, c.probes),
          ],
        },
      };
    case 'cluster-max-connection-duration':
      // 0s would not mean "none" to every Envoy version: lifting the limit is removing the field.
      return c.ms > 0 ? { resource: httpOptions({ common_http_protocol_options: { max_connection_duration: protoDuration(c.ms) } }) } : {};
    case 'cluster-circuit-breakers':
      return {
        resource: {
          circuit_breakers: { thresholds: [{ priority: 'DEFAULT', max_connections: c.maxConnections, max_pending_requests: c.maxPendingRequests, max_requests: c.maxRequests }] },
        },
      };
    case 'cluster-client-protocol':
      return { resource: httpOptions({ explicit_http_config: { http_protocol_options: {} } }) };
    case 'route-timeout':
      return { resource: { route: { timeout: protoDuration(c.ms) } } };
    case 'route-idle-timeout':
      return { resource: { route: { idle_timeout: protoDuration(c.ms) } } };
    case 'route-websocket-upgrade':
      return { resource: { route: { upgrade_configs: [{ upgrade_type: 'websocket' }] } } };
    case 'listener-stream-idle-timeout':
      return { hcm: { stream_idle_timeout: protoDuration(c.ms) } };
    case 'listener-max-stream-duration':
      // Lifting the limit is removing the field: a fragment cannot say that (the docs page does).
      return c.ms > 0 ? { hcm: { common_http_protocol_options: { max_stream_duration: protoDuration(c.ms) } } } : {};
    case 'listener-allow-connect':
      return { hcm: { http2_protocol_options: { allow_connect: true } } };
    case 'tcp-proxy-idle-timeout':
      return { tcp: { idle_timeout: protoDuration(c.ms) } };
    case 'proxy-drain-time':
      // A command-line flag (--drain-time-s), not configuration.
      return {};
    case 'route-disable-request-buffer':
      return { resource: { typed_per_filter_config: { [BUFFER_FILTER]: { '@type': BUFFER_PER_ROUTE, disabled: true } } } };
    case 'policy-fields':
      return {};
    case 'stats-inclusion':
      // The bootstrap, not a resource: see stats-inclusion.ts.
      return {};
  }
}

export const envoyRenderer: FixRenderer = {
  flavor: 'envoy',
  render(s: Snapshot, changes: FixChange[]): RenderedChangeSet[] {
    const groups = new Map<string, { target: string; fields: Record<string, unknown>; changes: FixChange[] }>();
    const add = (key: string, target: string, fields: Record<string, unknown>, c: FixChange) => {
      const g = groups.get(key) ?? { target, fields: {}, changes: [] };
      deepMerge(g.fields, fields);
      g.changes.push(c);
      groups.set(key, g);
    };
    for (const c of changes) {
      const t = changeTarget(c);
      if (t.kind === 'policy' || t.kind === 'proxy') continue;
      const { resource, hcm, tcp } = fragment(c);
      if (resource) add(`${t.kind}|${t.name}`, `${t.kind} ${t.name}`, { name: t.name, ...resource }, c);
      if (hcm) {
        const prefixes = s.listeners.find((l) => l.name === t.name)?.filterChains.flatMap((f) => (f.connectionManager ? [f.connectionManager.statPrefix] : [])) ?? [];
        const where = prefixes.length > 0 ? ` (stat_prefix ${[...new Set(prefixes)].join(', ')})` : '';
        add(`hcm|${t.name}`, `listener ${t.name}: envoy.filters.network.http_connection_manager${where}`, hcm, c);
      }
      if (tcp && c.kind === 'tcp-proxy-idle-timeout') {
        add(`tcp|${t.name}|${c.statPrefix}`, `listener ${t.name}: envoy.filters.network.tcp_proxy (stat_prefix ${c.statPrefix})`, tcp, c);
      }
    }
    const resources: RenderedChangeSet[] = [...groups.values()].map((g) => ({
      fix: { flavor: 'envoy', target: g.target, apply: 'envoy-config', format: 'yaml', text: stringify(g.fields, { lineWidth: 0 }), notes: [] },
      changes: g.changes,
    }));
    return [...resources, ...envoyStatsInclusion(s, changes)];
  },
};
