// Fixes as Istio objects: DestinationRule connectionPool.tcp.tcpKeepalive for outbound clusters
// (istio/api networking/v1alpha3/destination_rule.proto ConnectionPoolSettings.TCPSettings.TcpKeepalive);
// buffer limits and listener keepalive have no first-class field, so an EnvoyFilter patch MERGEs the Envoy
// fields (istio/api networking/v1alpha3/envoy_filter.proto). Cluster names: `outbound|<port>|<subset>|<host>`.

import { stringify } from 'yaml';
import type { FixChange, RenderedFix } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { gatewayDuration } from '../parse/durations.ts';
import { deepMerge, protoDuration } from './changes.ts';
import { BUFFER_FILTER } from '../analyzers/request-buffering.ts';
import { BUFFER_PER_ROUTE } from './envoy.ts';
import { type FixRenderer, type RenderedChangeSet } from './renderer.ts';
import { istioStatsInclusion } from './stats-inclusion.ts';

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const TCP_PROXY_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

interface IstioCluster {
  direction: 'outbound' | 'inbound';
  port: number;
  subset: string;
  host: string;
}

/** Parses Istio's cluster naming; undefined for clusters Istio did not name that way. */
export function istioCluster(name: string): IstioCluster | undefined {
  const m = /^(outbound|inbound)\|(\d+)\|([^|]*)\|(.*)$/.exec(name.replace(/;$/, ''));
  if (!m) return undefined;
  return { direction: m[1] as IstioCluster['direction'], port: Number(m[2]), subset: m[3] as string, host: m[4] as string };
}

function hostNamespace(host: string, fallback: string): string {
  const parts = host.split('.');
  return parts.length >= 3 && parts[2] === 'svc' ? (parts[1] as string) : fallback;
}

function yamlOf(o: unknown): string {
  return stringify(o, { lineWidth: 0 });
}

/** DestinationRule connection-pool settings a change sets, when Istio has a first-class field for it. */
function poolPatch(c: FixChange): Record<string, unknown> | undefined {
  switch (c.kind) {
    case 'cluster-tcp-keepalive':
      return { tcp: { tcpKeepalive: { time: gatewayDuration(c.timeSeconds * 1000), interval: gatewayDuration(c.intervalSeconds * 1000), probes: c.probes } } };
    case 'cluster-circuit-breakers':
      return { tcp: { maxConnections: c.maxConnections }, http: { http1MaxPendingRequests: c.maxPendingRequests, http2MaxRequests: c.maxRequests } };
    case 'cluster-client-protocol':
      return { http: { useClientProtocol: true } };
    case 'cluster-max-connection-duration':
      return c.ms > 0 ? { tcp: { maxConnectionDuration: gatewayDuration(c.ms) } } : undefined;
    default:
      return undefined;
  }
}

/** An EnvoyFilter patch for a change with no first-class Istio field. */
function envoyFilterPatch(c: FixChange): Record<string, unknown> | undefined {
  const merge = (applyTo: string, match: Record<string, unknown>, value: Record<string, unknown>) => ({ applyTo, match, patch: { operation: 'MERGE', value } });
  const clusterMatch = (name: string) => {
    const ic = istioCluster(name);
    return ic
      ? { context: ic.direction === 'outbound' ? 'SIDECAR_OUTBOUND' : 'SIDECAR_INBOUND', cluster: { portNumber: ic.port, ...(ic.host ? { service: ic.host } : {}) } }
      : { cluster: { name } };
  };
  switch (c.kind) {
    case 'cluster-buffer-limit':
      return merge('CLUSTER', clusterMatch(c.cluster), { per_connection_buffer_limit_bytes: c.bytes });
    case 'cluster-tcp-keepalive':
      return merge('CLUSTER', clusterMatch(c.cluster), {
        upstream_connection_options: { tcp_keepalive: { keepalive_probes: c.probes, keepalive_time: c.timeSeconds, keepalive_interval: c.intervalSeconds } },
      });
    case 'listener-buffer-limit':
      return merge('LISTENER', { listener: { name: c.listener } }, { per_connection_buffer_limit_bytes: c.bytes });
    case 'listener-tcp-keepalive':
      return merge('LISTENER', { listener: { name: c.listener } }, {
        socket_options: [
          { level: 1, name: 9, int_value: 1, state: 'STATE_PREBIND' },
          { level: 6, name: 4, int_value: c.timeSeconds, state: 'STATE_PREBIND' },
          { level: 6, name: 5, int_value: c.intervalSeconds, state: 'STATE_PREBIND' },
          { level: 6, name: 6, int_value: c.probes, state: 'STATE_PREBIND' },
        ],
      });
    case 'listener-stream-idle-timeout':
      return merge(
        'NETWORK_FILTER',
        { listener: { name: c.listener, filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } } },
        { name: 'envoy.filters.network.http_connection_manager', typed_config: { '@type': HCM_TYPE, stream_idle_timeout: protoDuration(c.ms) } },
      );
    case 'listener-max-stream-duration':
      return c.ms > 0
        ? merge(
            'NETWORK_FILTER',
            { listener: { name: c.listener, filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } } },
            { name: 'envoy.filters.network.http_connection_manager', typed_config: { '@type': HCM_TYPE, common_http_protocol_options: { max_stream_duration: protoDuration(c.ms) } } },
          )
        : undefined;
    case 'listener-allow-connect':
      return merge(
        'NETWORK_FILTER',
        { listener: { name: c.listener, filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } } },
        { name: 'envoy.filters.network.http_connection_manager', typed_config: { '@type': HCM_TYPE, http2_protocol_options: { allow_connect: true } } },
      );
    case 'tcp-proxy-idle-timeout':
      return merge(
        'NETWORK_FILTER',
        { listener: { name: c.listener, filterChain: { filter: { name: 'envoy.filters.network.tcp_proxy' } } } },
        { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP_PROXY_TYPE, idle_timeout: protoDuration(c.ms) } },
      );
    case 'route-disable-request-buffer':
      return merge('HTTP_ROUTE', { routeConfiguration: { vhost: { route: { name: c.route } } } }, {
        typed_per_filter_config: { [BUFFER_FILTER]: { '@type': BUFFER_PER_ROUTE, disabled: true } },
      });
    case 'route-timeout':
    case 'route-idle-timeout':
    case 'route-websocket-upgrade': {
      const route =
        c.kind === 'route-timeout'
          ? { timeout: protoDuration(c.ms) }
          : c.kind === 'route-idle-timeout'
            ? { idle_timeout: protoDuration(c.ms) }
            : { upgrade_configs: [{ upgrade_type: 'websocket' }] };
      return merge('HTTP_ROUTE', { routeConfiguration: { vhost: { route: { name: c.route } } } }, { route });
    }
    default:
      return undefined;
  }
}

export const istioRenderer: FixRenderer = {
  flavor: 'istio',
  render(s: Snapshot, changes: FixChange[]): RenderedChangeSet[] {
    const out: RenderedChangeSet[] = [];
    const namespace = s.namespace ?? 'default';
    const rules = new Map<string, { host: string; port: number; namespace: string; pool: Record<string, unknown>; changes: FixChange[] }>();
    const patches: Array<{ patch: Record<string, unknown>; change: FixChange }> = [];
    for (const c of changes) {
      const ic = 'cluster' in c ? istioCluster(c.cluster) : undefined;
      const pool = ic?.direction === 'outbound' ? poolPatch(c) : undefined;
      if (ic && pool) {
        const key = `${ic.host}|${ic.port}`;
        const rule = rules.get(key) ?? { host: ic.host, port: ic.port, namespace: hostNamespace(ic.host, namespace), pool: {}, changes: [] };
        deepMerge(rule.pool, pool);
        rule.changes.push(c);
        rules.set(key, rule);
        continue;
      }
      const patch = envoyFilterPatch(c);
      if (patch) patches.push({ patch, change: c });
    }
    for (const r of rules.values()) {
      const name = `${r.host.split('.')[0]}-connection`;
      out.push({
        fix: {
          flavor: 'istio',
          target: `DestinationRule ${r.namespace}/${name}`,
          apply: 'kubectl-apply',
          format: 'yaml',
          text: yamlOf({
            apiVersion: 'networking.istio.io/v1',
            kind: 'DestinationRule',
            metadata: { name, namespace: r.namespace },
            spec: { host: r.host, trafficPolicy: { portLevelSettings: [{ port: { number: r.port }, connectionPool: r.pool }] } },
          }),
          notes: [],
        },
        changes: r.changes,
      });
    }
    if (patches.length > 0) {
      const name = `${s.id}-connection`.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').slice(0, 253);
      out.push({
        fix: {
          flavor: 'istio',
          target: `EnvoyFilter ${namespace}/${name}`,
          apply: 'kubectl-apply',
          format: 'yaml',
          text: yamlOf({
            apiVersion: 'networking.istio.io/v1alpha3',
            kind: 'EnvoyFilter',
            metadata: { name, namespace },
            spec: { configPatches: patches.map((p) => p.patch) },
          }),
          notes: [{ code: 'envoyfilter-add-workload-selector', values: { namespace } }],
        },
        changes: patches.map((p) => p.change),
      });
    }
    out.push(...istioStatsInclusion(s, changes));
    return out;
  },
};
