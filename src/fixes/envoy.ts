// Fixes as plain Envoy configuration: the fields to set at their exact paths, as a YAML fragment of the
// cluster (api/envoy/config/cluster/v3/cluster.proto, circuit_breaker.proto; upstream HTTP options in
// api/envoy/extensions/upstreams/http/v3/http_protocol_options.proto), route (route/v3/route_components.proto
// RouteAction), listener (listener/v3/listener.proto) or its HTTP connection manager; and, when the config dump's
// resource was kept, the whole live resource with the fix's changes merged in (envoy-merge.ts), which replaces
// the live one as it is. Listener TCP keepalive uses `Listener.tcp_keepalive` on Envoy >= 1.37 when the version is
// known, else socket options SO_KEEPALIVE (level 1 name 9) and TCP_KEEPIDLE/INTVL/CNT (level 6 names 4/5/6), as
// api/envoy/config/core/v3/socket_option.proto documents for Linux.

import { stringify } from 'yaml';
import type { Explanation, FixChange, MergedEnvoyResource } from '../model/finding.ts';
import { liveResource } from '../model/live-resources.ts';
import { BUFFER_FILTER, type Cluster, type Listener, type Route, type Snapshot } from '../model/snapshot.ts';
import { routeByName } from '../model/topology.ts';
import { changeTarget, deepMerge, protoDuration } from './changes.ts';
import {
  BUFFER_PER_ROUTE,
  diffJson,
  hasListenerTcpKeepalive,
  HTTP_PROTOCOL_OPTIONS,
  keepaliveSocketOptions,
  mergeCluster,
  mergeListener,
  type MergeOutcome,
  mergeRoute,
} from './envoy-merge.ts';
import type { FixRenderer, RenderedChangeSet } from './renderer.ts';
import { envoyStatsInclusion } from './stats-inclusion.ts';

export { BUFFER_PER_ROUTE } from './envoy-merge.ts';

function httpOptions(fields: Record<string, unknown>): Record<string, unknown> {
  return { typed_extension_protocol_options: { [HTTP_PROTOCOL_OPTIONS]: { '@type': `type.googleapis.com/${HTTP_PROTOCOL_OPTIONS}`, ...fields } } };
}

/** True when the live cluster already has HttpProtocolOptions, or (unknown live object) speaks something other than HTTP/1.1. */
function clusterHasProtocolOptions(s: Snapshot, cluster: string): boolean {
  const model = s.clusters.get(cluster);
  const live = model ? liveResource(model) : undefined;
  if (live) {
    const map = live.typed_extension_protocol_options ?? live.typedExtensionProtocolOptions;
    return map !== null && typeof map === 'object' && Object.keys(map).length > 0 && JSON.stringify(map).includes('HttpProtocolOptions');
  }
  return model !== undefined && model.upstreamProtocol !== 'http1';
}

/** The fields one change sets on its resource; `hcm` and `tcp` fields go to the listener's HTTP connection manager or TCP proxy. */
function fragment(s: Snapshot, c: FixChange): { resource?: Record<string, unknown>; hcm?: Record<string, unknown>; tcp?: Record<string, unknown> } {
  switch (c.kind) {
    case 'cluster-buffer-limit':
    case 'listener-buffer-limit':
      return { resource: { per_connection_buffer_limit_bytes: c.bytes } };
    case 'cluster-tcp-keepalive':
      return { resource: { upstream_connection_options: { tcp_keepalive: { keepalive_probes: c.probes, keepalive_time: c.timeSeconds, keepalive_interval: c.intervalSeconds } } } };
    case 'listener-tcp-keepalive':
      return hasListenerTcpKeepalive(s.envoyVersion)
        ? { resource: { tcp_keepalive: { keepalive_probes: c.probes, keepalive_time: c.timeSeconds, keepalive_interval: c.intervalSeconds } } }
        : { resource: { socket_options: keepaliveSocketOptions(c) } };
    case 'cluster-max-connection-duration': {
      // 0s would not mean "none" to every Envoy version: lifting the limit is removing the field.
      if (c.ms === 0) return {};
      // A new HttpProtocolOptions needs its required upstream protocol: HTTP/1.1, what the cluster speaks without one.
      const protocol = clusterHasProtocolOptions(s, c.cluster) ? {} : { explicit_http_config: { http_protocol_options: {} } };
      return { resource: httpOptions({ ...protocol, common_http_protocol_options: { max_connection_duration: protoDuration(c.ms) } }) };
    }
    case 'cluster-max-stream-duration': {
      const protocol = clusterHasProtocolOptions(s, c.cluster) ? {} : { explicit_http_config: { http_protocol_options: {} } };
      return { resource: httpOptions({ ...protocol, common_http_protocol_options: { max_stream_duration: protoDuration(c.ms) } }) };
    }
    case 'cluster-circuit-breakers':
      return {
        resource: {
          circuit_breakers: { thresholds: [{ priority: 'DEFAULT', max_connections: c.maxConnections, max_pending_requests: c.maxPendingRequests, max_requests: c.maxRequests }] },
        },
      };
    case 'cluster-client-protocol':
      // The client's protocol upstream, as Envoy Gateway's useClientProtocol and Istio's useClientProtocol set it.
      return { resource: httpOptions({ use_downstream_protocol_config: { http_protocol_options: {} } }) };
    case 'route-timeout':
      return { resource: { route: { timeout: protoDuration(c.ms) } } };
    case 'route-idle-timeout':
      return { resource: { route: { idle_timeout: protoDuration(c.ms) } } };
    case 'route-max-stream-duration':
      return { resource: { route: { max_stream_duration: { max_stream_duration: protoDuration(c.ms) } } } };
    case 'route-websocket-upgrade':
      return { resource: { route: { upgrade_configs: [{ upgrade_type: 'websocket' }] } } };
    case 'listener-stream-idle-timeout':
      return { hcm: { stream_idle_timeout: protoDuration(c.ms) } };
    case 'listener-max-stream-duration':
      // Lifting the limit is removing the field: a fragment cannot say that (the merged object and the docs do).
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

/** The whole live resource with these changes merged in, or why there is none. */
function mergedResource(s: Snapshot, kind: 'cluster' | 'listener' | 'route', name: string, changes: FixChange[]): { merged?: MergedEnvoyResource; notes: Explanation[] } {
  const model = kind === 'cluster' ? s.clusters.get(name) : kind === 'listener' ? s.listeners.find((l) => l.name === name) : routeByName(s, name);
  const notKept = { notes: [{ code: 'envoy-live-object-not-kept', values: { resource: `${kind} ${name}` } }] };
  const live = model ? liveResource(model) : undefined;
  if (!model || !live) return notKept;
  try {
    return mergeInto(s, kind, name, model, live, changes);
  } catch (e) {
    // A resource nested past the stack (a damaged dump) cannot be merged: the fragment still stands.
    if (e instanceof RangeError) return notKept;
    throw e;
  }
}

function mergeInto(
  s: Snapshot,
  kind: 'cluster' | 'listener' | 'route',
  name: string,
  model: Cluster | Listener | Route,
  live: Record<string, unknown>,
  changes: FixChange[],
): { merged?: MergedEnvoyResource; notes: Explanation[] } {
  // The dump prints each resource as an Any: its `@type` names the wrapper, and Envoy's config has no such field.
  delete live['@type'];
  const before = structuredClone(live);
  let outcome: MergeOutcome;
  if (kind === 'cluster') outcome = mergeCluster(live, changes);
  else if (kind === 'listener') outcome = mergeListener(live, changes, s.envoyVersion);
  else outcome = mergeRoute(live, changes);
  const merged: MergedEnvoyResource = { kind, name, object: live, diff: diffJson(before, live) };
  if (kind === 'route' && 'routeConfigName' in model) {
    merged.routeConfiguration = model.routeConfigName;
    merged.virtualHost = model.virtualHost;
  }
  const notes: Explanation[] = outcome.removed.map((field) => ({ code: 'envoy-field-replaced', values: { resource: `${kind} ${name}`, field } }));
  for (const skipped of new Set(outcome.skipped)) notes.push({ code: 'envoy-change-not-applicable', values: { resource: `${kind} ${name}`, change: skipped } });
  if (kind === 'listener' && changes.some((c) => c.kind === 'listener-tcp-keepalive')) {
    notes.push({ code: hasListenerTcpKeepalive(s.envoyVersion) ? 'envoy-listener-tcp-keepalive' : 'envoy-listener-keepalive-socket-options', values: { envoyVersion: s.envoyVersion ?? 'unknown' } });
  }
  return { merged, notes };
}

/**
 * Writes `null` into a resource's fragment for each live field the merge replaced (a oneof member such as
 * `explicit_http_config`) whose parent the fragment sets, so the fragment merged field by field into the live
 * resource does not leave two members of a oneof; Envoy reads a null field as unset.
 */
export function nullReplacedFields(fields: Record<string, unknown>, notes: Explanation[]): void {
  for (const n of notes) {
    if (n.code !== 'envoy-field-replaced' || typeof n.values.field !== 'string') continue;
    const parts = n.values.field
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop();
    let at: unknown = fields;
    for (const p of parts) at = at !== null && typeof at === 'object' && !Array.isArray(at) ? (at as Record<string, unknown>)[p] : undefined;
    if (last === undefined || at === null || typeof at !== 'object' || Array.isArray(at) || last in at) continue;
    (at as Record<string, unknown>)[last] = null;
  }
}

export const envoyRenderer: FixRenderer = {
  flavor: 'envoy',
  render(s: Snapshot, changes: FixChange[]): RenderedChangeSet[] {
    const groups = new Map<string, { resource: string; target: string; fields: Record<string, unknown>; changes: FixChange[] }>();
    const byResource = new Map<string, { kind: 'cluster' | 'listener' | 'route'; name: string; changes: FixChange[] }>();
    const add = (key: string, resource: string, target: string, fields: Record<string, unknown>, c: FixChange) => {
      const g = groups.get(key) ?? { resource, target, fields: {}, changes: [] };
      deepMerge(g.fields, fields);
      g.changes.push(c);
      groups.set(key, g);
    };
    for (const c of changes) {
      const t = changeTarget(c);
      if (t.kind === 'policy' || t.kind === 'proxy') continue;
      const resource = `${t.kind}|${t.name}`;
      if (c.kind !== 'proxy-drain-time') {
        const r = byResource.get(resource) ?? { kind: t.kind, name: t.name, changes: [] };
        r.changes.push(c);
        byResource.set(resource, r);
      }
      const { resource: fields, hcm, tcp } = fragment(s, c);
      if (fields) add(resource, resource, `${t.kind} ${t.name}`, { name: t.name, ...fields }, c);
      if (hcm) {
        const prefixes = s.listeners.find((l) => l.name === t.name)?.filterChains.flatMap((f) => (f.connectionManager ? [f.connectionManager.statPrefix] : [])) ?? [];
        const where = prefixes.length > 0 ? ` (stat_prefix ${[...new Set(prefixes)].join(', ')})` : '';
        add(`hcm|${t.name}`, resource, `listener ${t.name}: envoy.filters.network.http_connection_manager${where}`, hcm, c);
      }
      if (tcp && c.kind === 'tcp-proxy-idle-timeout') {
        add(`tcp|${t.name}|${c.statPrefix}`, resource, `listener ${t.name}: envoy.filters.network.tcp_proxy (stat_prefix ${c.statPrefix})`, tcp, c);
      }
    }
    // Changes with no fragment (a limit lifted by removing its field) go with the resource's own fields.
    const grouped = new Set([...groups.values()].flatMap((g) => g.changes));
    for (const [key, r] of byResource) {
      const loose = r.changes.filter((c) => !grouped.has(c));
      if (loose.length === 0) continue;
      const own = groups.get(key) ?? { resource: key, target: `${r.kind} ${r.name}`, fields: { name: r.name }, changes: [] };
      own.changes.push(...loose);
      groups.set(key, own);
    }
    // Each fix carries the whole live object with its own changes merged in, so it does not depend on what other root
    // causes found (the pods of one deployment share their fixes); a listener's fixes are merged one into another.
    const resources: RenderedChangeSet[] = [];
    for (const [key, g] of groups) {
      const r = byResource.get(g.resource);
      const m = r ? mergedResource(s, r.kind, r.name, g.changes.filter((c) => c.kind !== 'proxy-drain-time')) : undefined;
      // A group whose changes have no fragment and change nothing live (nothing to remove) is no fix.
      if (key === g.resource && Object.keys(g.fields).length === 1 && (m?.merged?.diff.length ?? 0) === 0) continue;
      if (key === g.resource) nullReplacedFields(g.fields, m?.notes ?? []);
      const notes = [...(m?.notes ?? [])];
      if (m?.merged && r?.kind === 'listener') notes.push({ code: 'envoy-merged-this-fix', values: { listener: r.name } });
      if (g.changes.some((c) => c.kind === 'listener-buffer-limit')) notes.push({ code: 'listener-limit-pauses-upstream', values: {} });
      resources.push({
        fix: {
          flavor: 'envoy',
          target: g.target,
          apply: 'envoy-config',
          format: 'yaml',
          text: stringify(g.fields, { lineWidth: 0 }),
          notes,
          ...(m?.merged ? { merged: m.merged } : {}),
        },
        changes: g.changes,
      });
    }
    return [...resources, ...envoyStatsInclusion(s, changes)];
  },
};
