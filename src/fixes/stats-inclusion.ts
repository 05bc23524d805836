// The `stats-inclusion` change per flavor: stat-name prefixes added to the proxy's stats inclusion list, keeping
// the patterns in effect (an inclusion list is replaced as a whole).
// - Envoy Gateway: EnvoyProxy `spec.telemetry.metrics.matches` ({type: Exact|Prefix|Suffix|RegularExpression, value},
//   envoyproxy/gateway v1.9.0 api/v1alpha1/envoyproxy_metric_types.go, shared_types.go StringMatch), rendered into the
//   bootstrap's `stats_matcher.inclusion_list` (internal/xds/bootstrap/bootstrap.go, bootstrap.yaml.tpl).
// - Plain Envoy: the bootstrap's `stats_config.stats_matcher.inclusion_list.patterns`
//   (api/envoy/config/metrics/v3/stats.proto, api/envoy/type/matcher/v3/string.proto).
// - Istio: the pod annotation `proxy.istio.io/config` with ProxyConfig `proxyStatsMatcher.inclusionPrefixes`
//   (istio/api mesh/v1alpha1/proxy.proto ProxyStatsMatcher), which Istio adds to its default inclusion list
//   (istio tools/packaging/common/envoy_bootstrap.json), patched into the workload's pod template.

import { stringify } from 'yaml';
import type { FixChange, RenderedFix } from '../model/finding.ts';
import type { KubeObject } from '../model/kubernetes.ts';
import type { Snapshot, SourceObject } from '../model/snapshot.ts';
import type { StringMatcher } from '../model/stats-config.ts';
import { deepMerge } from './changes.ts';
import type { RenderedChangeSet } from './renderer.ts';

/** The prefixes all of a snapshot's stats-inclusion changes add, and those changes. */
function collectPrefixes(changes: FixChange[]): { prefixes: string[]; changes: FixChange[] } {
  const mine = changes.filter((c) => c.kind === 'stats-inclusion');
  return { prefixes: [...new Set(mine.flatMap((c) => (c.kind === 'stats-inclusion' ? c.prefixes : [])))], changes: mine };
}

/** The inclusion patterns in effect now (none unless the matcher is an inclusion list). */
function keptPatterns(s: Snapshot): StringMatcher[] {
  const m = s.statsConfig?.matcher;
  return m?.mode === 'inclusion' ? m.patterns : [];
}

const EG_TYPES: Partial<Record<StringMatcher['kind'], string>> = { exact: 'Exact', prefix: 'Prefix', suffix: 'Suffix', 'safe-regex': 'RegularExpression' };

/** An inclusion pattern as Envoy Gateway's StringMatch, when it can say it. */
function gatewayMatch(m: StringMatcher): { type: string; value: string } | undefined {
  const type = EG_TYPES[m.kind];
  return type && !m.ignoreCase ? { type, value: m.value } : undefined;
}

/** An inclusion pattern as Envoy's StringMatcher proto JSON, when it can be written back. */
function envoyMatcher(m: StringMatcher): Record<string, unknown> | undefined {
  if (m.kind === 'unsupported') return undefined;
  if (m.kind === 'safe-regex') return { safe_regex: { regex: m.value } };
  return { [m.kind]: m.value, ...(m.ignoreCase ? { ignore_case: true } : {}) };
}

function objectName(...parts: string[]): string {
  return parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 253);
}

/** The Gateway the proxy serves: from its listeners' source objects, or its owner. */
function gatewayOf(s: Snapshot): SourceObject | undefined {
  for (const l of s.listeners) {
    const gw = l.sources.find((o) => o.kind === 'Gateway');
    if (gw) return gw;
  }
  const m = /^gateway ([^/]+)\/(.+)$/.exec(s.owner ?? '');
  return m ? { kind: 'Gateway', namespace: m[1] as string, name: m[2] as string } : undefined;
}

/** The EnvoyProxy the Gateway's `infrastructure.parametersRef` names, when it was read. */
function liveEnvoyProxy(s: Snapshot, gateway: SourceObject): KubeObject | undefined {
  const gw = s.kubernetes?.gateways.find((g) => g.metadata.namespace === gateway.namespace && g.metadata.name === gateway.name);
  const ref = (gw?.spec?.infrastructure as { parametersRef?: { kind?: string; name?: string } } | undefined)?.parametersRef;
  if (ref?.kind !== 'EnvoyProxy' || ref.name === undefined) return undefined;
  return s.kubernetes?.envoyProxies.find((p) => p.metadata.namespace === gateway.namespace && p.metadata.name === ref.name);
}

/** Envoy Gateway: the EnvoyProxy with `telemetry.metrics.matches` holding the list in effect plus the prefixes. */
export function envoyGatewayStatsInclusion(s: Snapshot, all: FixChange[]): RenderedChangeSet[] {
  const { prefixes, changes } = collectPrefixes(all);
  const gateway = gatewayOf(s);
  if (prefixes.length === 0 || !gateway) return [];
  const live = liveEnvoyProxy(s, gateway);
  const liveMatches = (live?.spec?.telemetry as { metrics?: { matches?: unknown } } | undefined)?.metrics?.matches;
  const kept = Array.isArray(liveMatches) ? (liveMatches as Array<{ type?: string; value: string }>) : keptPatterns(s).flatMap((m) => gatewayMatch(m) ?? []);
  const have = new Set(kept.filter((m) => (m.type ?? 'Exact') === 'Prefix').map((m) => m.value));
  const matches = [...kept, ...prefixes.filter((p) => !have.has(p)).map((value) => ({ type: 'Prefix', value }))];
  const name = live?.metadata.name ?? objectName(gateway.name, 'proxy');
  const telemetry = { telemetry: { metrics: { matches } } };
  const object = live
    ? {
        apiVersion: live.apiVersion,
        kind: 'EnvoyProxy',
        metadata: { name, namespace: gateway.namespace, ...(live.metadata.labels ? { labels: live.metadata.labels } : {}) },
        spec: deepMerge({ ...(live.spec ?? {}) }, telemetry),
      }
    : { apiVersion: 'gateway.envoyproxy.io/v1alpha1', kind: 'EnvoyProxy', metadata: { name, namespace: gateway.namespace }, spec: telemetry };
  const notes: RenderedFix['notes'] = [{ code: 'stats-matches-replace-list', values: { kept: kept.length } }];
  if (!live) notes.push({ code: 'envoyproxy-parameters-ref', values: { gateway: `${gateway.namespace}/${gateway.name}`, envoyProxy: name } });
  return [
    {
      fix: { flavor: 'envoy-gateway', target: `EnvoyProxy ${gateway.namespace}/${name}`, apply: 'kubectl-apply', format: 'yaml', text: stringify(object, { lineWidth: 0 }), notes },
      changes,
    },
  ];
}

/** Plain Envoy: the bootstrap's `stats_config.stats_matcher.inclusion_list` with the patterns in effect plus the prefixes. */
export function envoyStatsInclusion(s: Snapshot, all: FixChange[]): RenderedChangeSet[] {
  const { prefixes, changes } = collectPrefixes(all);
  if (prefixes.length === 0) return [];
  const kept = keptPatterns(s).flatMap((m) => envoyMatcher(m) ?? []);
  const have = new Set(keptPatterns(s).filter((m) => m.kind === 'prefix' && !m.ignoreCase).map((m) => m.value));
  const patterns = [...kept, ...prefixes.filter((p) => !have.has(p)).map((prefix) => ({ prefix }))];
  const fragment = { stats_config: { stats_matcher: { inclusion_list: { patterns } } } };
  return [
    {
      fix: {
        flavor: 'envoy',
        target: 'bootstrap stats_config',
        apply: 'envoy-config',
        format: 'yaml',
        text: stringify(fragment, { lineWidth: 0 }),
        notes: [
          { code: 'stats-matches-replace-list', values: { kept: kept.length } },
          { code: 'bootstrap-needs-restart', values: {} },
        ],
      },
      changes,
    },
  ];
}

/** The workload behind a sidecar: its owner (`deployment shop/web`), else the pod name without its ReplicaSet suffixes. */
function workloadOf(s: Snapshot): { kind: string; namespace: string; name: string } {
  const m = /^(deployment|statefulset|daemonset) ([^/]+)\/(.+)$/.exec(s.owner ?? '');
  if (m) return { kind: m[1] as string, namespace: m[2] as string, name: m[3] as string };
  return { kind: 'deployment', namespace: s.namespace ?? 'default', name: s.id.replace(/-[a-z0-9]{6,10}-[a-z0-9]{5}$/, '') };
}

const WORKLOAD_KINDS: Record<string, string> = { deployment: 'Deployment', statefulset: 'StatefulSet', daemonset: 'DaemonSet' };

/** Istio: the workload's pod template annotated with `proxy.istio.io/config` `proxyStatsMatcher.inclusionPrefixes`. */
export function istioStatsInclusion(s: Snapshot, all: FixChange[]): RenderedChangeSet[] {
  const { prefixes, changes } = collectPrefixes(all);
  if (prefixes.length === 0) return [];
  const w = workloadOf(s);
  const kind = WORKLOAD_KINDS[w.kind] ?? 'Deployment';
  const proxyConfig = stringify({ proxyStatsMatcher: { inclusionPrefixes: prefixes } }, { lineWidth: 0 });
  const object = {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name: w.name, namespace: w.namespace },
    spec: { template: { metadata: { annotations: { 'proxy.istio.io/config': proxyConfig } } } },
  };
  return [
    {
      fix: {
        flavor: 'istio',
        target: `${kind} ${w.namespace}/${w.name}`,
        apply: 'kubectl-apply',
        format: 'yaml',
        text: stringify(object, { lineWidth: 0 }),
        notes: [{ code: 'istio-annotation-rolls-pods', values: { workload: `${w.namespace}/${w.name}` } }],
      },
      changes,
    },
  ];
}
