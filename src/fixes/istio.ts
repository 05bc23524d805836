// Fixes as Istio objects: DestinationRule connectionPool for outbound clusters (istio/api networking/v1alpha3
// destination_rule.proto ConnectionPoolSettings: tcp.tcpKeepalive, maxConnections, maxConnectionDuration,
// http.http1MaxPendingRequests, http2MaxRequests, useClientProtocol); changes with no first-class field are an
// EnvoyFilter MERGE of the Envoy fields (istio/api networking/v1alpha3/envoy_filter.proto), scoped to the workload
// the proxy runs:
// - `workloadSelector` from the workload's pod labels in the node metadata (`LABELS`); without them the filter is
//   left in the proxy's namespace and says how far it reaches (in the root namespace, istio-system, every proxy);
// - `context` from what the proxy is: a gateway (`router~` node id) is patched with GATEWAY, a sidecar with
//   SIDECAR_INBOUND for inbound clusters, listeners (virtualInbound) and route configurations (`inbound|...`) and
//   SIDECAR_OUTBOUND for the rest;
// - HTTP_ROUTE patches match the route configuration and virtual host as well as the route name, which Istio
//   repeats across virtual hosts (`default`);
// - a route generated from a VirtualService (route metadata `istio.config`) gets its timeout there, and a cluster
//   a DestinationRule already configures (cluster metadata `istio.config`) is patched in that DestinationRule.
// Cluster names: `outbound|<port>|<subset>|<host>`, `inbound|<port>||`.

import { stringify } from 'yaml';
import type { Explanation, FixChange } from '../model/finding.ts';
import { BUFFER_FILTER, type Snapshot } from '../model/snapshot.ts';
import { liveResource } from '../model/live-resources.ts';
import { routeByName } from '../model/topology.ts';
import { deepMerge, protoDuration } from './changes.ts';
import { BUFFER_PER_ROUTE } from './envoy.ts';
import { gatewayDuration } from './quantity.ts';
import { hasListenerTcpKeepalive, HTTP_PROTOCOL_OPTIONS } from './envoy-merge.ts';
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

/** What the proxy is, from its node id (`router~` for gateways, `sidecar~`) or, without one, its listeners. */
export function proxyKind(s: Snapshot): 'gateway' | 'sidecar' | 'unknown' {
  const id = s.node?.id ?? '';
  if (id.startsWith('router~')) return 'gateway';
  if (id.startsWith('sidecar~')) return 'sidecar';
  if (s.listeners.some((l) => l.name === 'virtualInbound' || l.name === 'virtualOutbound')) return 'sidecar';
  return 'unknown';
}

/** Pod labels that name a workload, in order of preference. */
const WORKLOAD_LABELS = ['istio', 'app', 'app.kubernetes.io/name', 'app.kubernetes.io/instance', 'version'];
/** Labels that differ between pods of one workload, or that Istio itself sets: never selected on. */
const VOLATILE_LABEL = /^(pod-template-hash|controller-revision-hash|pod-template-generation|statefulset\.kubernetes\.io\/pod-name|security\.istio\.io\/|service\.istio\.io\/|topology\.istio\.io\/|istio\.io\/rev)/;

/** The labels that select the proxy's workload, from the node metadata; undefined when the dump has none. */
export function workloadSelector(s: Snapshot): Record<string, string> | undefined {
  const labels = s.node?.labels;
  if (!labels) return undefined;
  const named = WORKLOAD_LABELS.filter((k) => labels[k] !== undefined);
  const keys = named.length > 0 ? named : Object.keys(labels).filter((k) => !VOLATILE_LABEL.test(k));
  return keys.length > 0 ? Object.fromEntries(keys.map((k) => [k, labels[k] as string])) : undefined;
}

type Context = 'GATEWAY' | 'SIDECAR_INBOUND' | 'SIDECAR_OUTBOUND' | undefined;

function contextFor(kind: ReturnType<typeof proxyKind>, inbound: boolean | undefined): Context {
  if (kind === 'gateway') return 'GATEWAY';
  if (inbound === undefined) return undefined;
  return inbound ? 'SIDECAR_INBOUND' : 'SIDECAR_OUTBOUND';
}

/** The Istio config a resource was generated from (`metadata.filter_metadata.istio.config`): kind, namespace, name. */
export function istioConfigOf(model: object | undefined): { kind: string; namespace: string; name: string } | undefined {
  const live = model ? liveResource(model) : undefined;
  const config = (live?.metadata as { filter_metadata?: { istio?: { config?: unknown } }; filterMetadata?: { istio?: { config?: unknown } } } | undefined);
  const path = config?.filter_metadata?.istio?.config ?? config?.filterMetadata?.istio?.config;
  const m = typeof path === 'string' ? /\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(path) : null;
  return m ? { namespace: m[1] as string, kind: m[2] as string, name: m[3] as string } : undefined;
}

/** An EnvoyFilter patch for a change with no first-class Istio field, in the proxy's context. */
function envoyFilterPatch(s: Snapshot, c: FixChange): Record<string, unknown> | undefined {
  const kind = proxyKind(s);
  const merge = (applyTo: string, context: Context, match: Record<string, unknown>, value: Record<string, unknown>) => ({
    applyTo,
    match: { ...(context ? { context } : {}), ...match },
    patch: { operation: 'MERGE', value },
  });
  const cluster = (name: string) => {
    const ic = istioCluster(name);
    return ic
      ? { context: contextFor(kind, ic.direction === 'inbound'), match: { cluster: { portNumber: ic.port, ...(ic.host ? { service: ic.host } : {}), ...(ic.subset ? { subset: ic.subset } : {}) } } }
      : { context: contextFor(kind, undefined), match: { cluster: { name } } };
  };
  const listenerContext = (name: string) => contextFor(kind, kind === 'sidecar' ? name === 'virtualInbound' || name.startsWith('inbound') : undefined);
  const hcm = (listener: string, typed: Record<string, unknown>) =>
    merge(
      'NETWORK_FILTER',
      listenerContext(listener),
      { listener: { name: listener, filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } } },
      { name: 'envoy.filters.network.http_connection_manager', typed_config: { '@type': HCM_TYPE, ...typed } },
    );
  const route = (name: string, value: Record<string, unknown>) => {
    // Istio repeats route names (`default`) across virtual hosts: the route configuration and virtual host narrow it.
    const r = routeByName(s, name);
    const inbound = r ? r.routeConfigName.startsWith('inbound|') : undefined;
    const configuration = r
      ? { name: r.routeConfigName, vhost: { name: r.virtualHost, route: { name } } }
      : { vhost: { route: { name } } };
    return merge('HTTP_ROUTE', contextFor(kind, kind === 'sidecar' ? inbound : undefined), { routeConfiguration: configuration }, value);
  };
  switch (c.kind) {
    case 'cluster-buffer-limit': {
      const t = cluster(c.cluster);
      return merge('CLUSTER', t.context, t.match, { per_connection_buffer_limit_bytes: c.bytes });
    }
    case 'cluster-tcp-keepalive': {
      const t = cluster(c.cluster);
      return merge('CLUSTER', t.context, t.match, {
        upstream_connection_options: { tcp_keepalive: { keepalive_probes: c.probes, keepalive_time: c.timeSeconds, keepalive_interval: c.intervalSeconds } },
      });
    }
    case 'listener-buffer-limit':
      return merge('LISTENER', listenerContext(c.listener), { listener: { name: c.listener } }, { per_connection_buffer_limit_bytes: c.bytes });
    case 'listener-tcp-keepalive':
      // Envoy >= 1.37 has Listener.tcp_keepalive (when the dump names the version).
      if (hasListenerTcpKeepalive(s.envoyVersion)) {
        return merge('LISTENER', listenerContext(c.listener), { listener: { name: c.listener } }, {
          tcp_keepalive: { keepalive_probes: c.probes, keepalive_time: c.timeSeconds, keepalive_interval: c.intervalSeconds },
        });
      }
      // A MERGE of a list appends to it: the keepalive options join the listener's own socket options.
      return merge('LISTENER', listenerContext(c.listener), { listener: { name: c.listener } }, {
        socket_options: [
          { level: 1, name: 9, int_value: 1, state: 'STATE_PREBIND' },
          { level: 6, name: 4, int_value: c.timeSeconds, state: 'STATE_PREBIND' },
          { level: 6, name: 5, int_value: c.intervalSeconds, state: 'STATE_PREBIND' },
          { level: 6, name: 6, int_value: c.probes, state: 'STATE_PREBIND' },
        ],
      });
    case 'listener-stream-idle-timeout':
      return hcm(c.listener, { stream_idle_timeout: protoDuration(c.ms) });
    case 'listener-max-stream-duration':
      return c.ms > 0 ? hcm(c.listener, { common_http_protocol_options: { max_stream_duration: protoDuration(c.ms) } }) : undefined;
    case 'listener-allow-connect':
      return hcm(c.listener, { http2_protocol_options: { allow_connect: true } });
    case 'tcp-proxy-idle-timeout':
      return merge(
        'NETWORK_FILTER',
        listenerContext(c.listener),
        { listener: { name: c.listener, filterChain: { filter: { name: 'envoy.filters.network.tcp_proxy' } } } },
        { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP_PROXY_TYPE, idle_timeout: protoDuration(c.ms) } },
      );
    case 'route-disable-request-buffer':
      return route(c.route, { typed_per_filter_config: { [BUFFER_FILTER]: { '@type': BUFFER_PER_ROUTE, disabled: true } } });
    case 'route-timeout':
      return route(c.route, { route: { timeout: protoDuration(c.ms) } });
    case 'route-idle-timeout':
      return route(c.route, { route: { idle_timeout: protoDuration(c.ms) } });
    case 'route-max-stream-duration':
      return route(c.route, { route: { max_stream_duration: { max_stream_duration: protoDuration(c.ms) } } });
    case 'cluster-max-stream-duration': {
      const t = cluster(c.cluster);
      return merge('CLUSTER', t.context, t.match, {
        typed_extension_protocol_options: { [HTTP_PROTOCOL_OPTIONS]: { '@type': `type.googleapis.com/${HTTP_PROTOCOL_OPTIONS}`, common_http_protocol_options: { max_stream_duration: protoDuration(c.ms) } } },
      });
    }
    case 'route-websocket-upgrade':
      return route(c.route, { route: { upgrade_configs: [{ upgrade_type: 'websocket' }] } });
    default:
      return undefined;
  }
}

/** The EnvoyFilter's name: the workload's, else the proxy's. */
function filterName(s: Snapshot, selector: Record<string, string> | undefined): string {
  const base = s.node?.workloadName ?? selector?.app ?? selector?.istio ?? s.id;
  return `${base}-connection`.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').slice(0, 253);
}

/** Istio's root namespace: an EnvoyFilter there without a selector applies to every proxy of the mesh. */
const ROOT_NAMESPACE = 'istio-system';

export const istioRenderer: FixRenderer = {
  flavor: 'istio',
  render(s: Snapshot, changes: FixChange[]): RenderedChangeSet[] {
    const out: RenderedChangeSet[] = [];
    const namespace = s.namespace ?? 'default';
    const rules = new Map<string, { host: string; port: number; namespace: string; pool: Record<string, unknown>; changes: FixChange[]; existing?: { namespace: string; name: string } }>();
    const patches: Array<{ patch: Record<string, unknown>; change: FixChange }> = [];
    const notes: Explanation[] = [];
    for (const c of changes) {
      const ic = 'cluster' in c ? istioCluster(c.cluster) : undefined;
      const pool = ic?.direction === 'outbound' ? poolPatch(c) : undefined;
      if (ic && pool && 'cluster' in c) {
        // A DestinationRule that already configures the cluster is the one to change: Istio uses one per host.
        const config = istioConfigOf(s.clusters.get(c.cluster));
        const existing = config?.kind === 'destination-rule' ? { namespace: config.namespace, name: config.name } : undefined;
        const key = existing ? `${existing.namespace}/${existing.name}` : `${ic.host}|${ic.port}`;
        const rule = rules.get(key) ?? { host: ic.host, port: ic.port, namespace: hostNamespace(ic.host, namespace), pool: {}, changes: [], ...(existing ? { existing } : {}) };
        deepMerge(rule.pool, pool);
        rule.changes.push(c);
        rules.set(key, rule);
        continue;
      }
      const patch = envoyFilterPatch(s, c);
      if (!patch) continue;
      patches.push({ patch, change: c });
      if (c.kind === 'route-timeout') {
        const config = istioConfigOf(routeByName(s, c.route));
        if (config?.kind === 'virtual-service') {
          notes.push({ code: 'istio-virtualservice-timeout', values: { virtualService: `${config.namespace}/${config.name}`, route: c.route, timeout: gatewayDuration(c.ms) } });
        }
      }
    }
    for (const r of rules.values()) out.push(destinationRule(r));
    if (patches.length > 0) {
      const selector = workloadSelector(s);
      const name = filterName(s, selector);
      if (selector) notes.unshift({ code: 'envoyfilter-workload-scoped', values: { selector: Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(','), namespace, proxy: proxyKind(s) } });
      else if (namespace === ROOT_NAMESPACE) notes.unshift({ code: 'envoyfilter-mesh-wide', values: { namespace } });
      else notes.unshift({ code: 'envoyfilter-add-workload-selector', values: { namespace } });
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
            spec: { ...(selector ? { workloadSelector: { labels: selector } } : {}), configPatches: patches.map((p) => p.patch) },
          }),
          notes,
        },
        changes: patches.map((p) => p.change),
      });
    }
    out.push(...istioStatsInclusion(s, changes));
    return out;
  },
};

/**
 * The connection-pool settings of one host: a merge patch of the DestinationRule that already configures the
 * cluster (its trafficPolicy, every other field kept), or a new DestinationRule for the host and port.
 */
function destinationRule(r: { host: string; port: number; namespace: string; pool: Record<string, unknown>; changes: FixChange[]; existing?: { namespace: string; name: string } }): RenderedChangeSet {
  if (r.existing) {
    return {
      fix: {
        flavor: 'istio',
        target: `DestinationRule ${r.existing.namespace}/${r.existing.name}`,
        apply: 'kubectl-patch',
        format: 'yaml',
        text: yamlOf({
          apiVersion: 'networking.istio.io/v1',
          kind: 'DestinationRule',
          metadata: { name: r.existing.name, namespace: r.existing.namespace },
          // A merge patch: the rule's host, other settings and portLevelSettings stay as they are.
          spec: { trafficPolicy: { connectionPool: r.pool } },
        }),
        notes: [{ code: 'istio-patch-destination-rule', values: { destinationRule: `${r.existing.namespace}/${r.existing.name}`, host: r.host, port: r.port } }],
      },
      changes: r.changes,
    };
  }
  const name = `${r.host.split('.')[0]}-connection`;
  return {
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
      notes: [{ code: 'istio-one-destination-rule-per-host', values: { host: r.host } }],
    },
    changes: r.changes,
  };
}
