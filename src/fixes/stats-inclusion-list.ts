// The proxy's stats inclusion list per flavor: one object holding the prefixes of all its `stats-inclusion` changes
// (src/fixes/kinds/stats-inclusion.ts), keeping the patterns in effect (an inclusion list is replaced as a whole).
// - Envoy Gateway: EnvoyProxy `spec.telemetry.metrics.matches` ({type: Exact|Prefix|Suffix|RegularExpression, value},
//   envoyproxy/gateway v1.9.0 api/v1alpha1/envoyproxy_metric_types.go, shared_types.go StringMatch), rendered into the
//   bootstrap's `stats_matcher.inclusion_list` (internal/xds/bootstrap/bootstrap.go, bootstrap.yaml.tpl).
// - Plain Envoy: the bootstrap's `stats_config.stats_matcher.inclusion_list.patterns`
//   (api/envoy/config/metrics/v3/stats.proto, api/envoy/type/matcher/v3/string.proto).
// - Istio: the pod annotation `proxy.istio.io/config` with ProxyConfig `proxyStatsMatcher.inclusionPrefixes`
//   (istio/api mesh/v1alpha1/proxy.proto ProxyStatsMatcher), which Istio adds to its default inclusion list
//   (istio tools/packaging/common/envoy_bootstrap.json), patched into the workload's pod template.

import { noteType } from '../model/catalogue-entry.ts';
import type { EvidenceValue, Explanation, FixChange, MergedEnvoyResource } from '../model/finding.ts';
import { liveResource } from '../model/live-resources.ts';
import type { MergeOutcome } from './envoy-live-edit.ts';
import { isObj, type Obj, pointer, Spelling } from './envoy-spelling.ts';
import { deepMerge } from './changes.ts';
import { diffJson } from './json-diff.ts';
import type { Snapshot } from '../model/snapshot.ts';
import type { StringMatcher } from '../model/stats-config.ts';
import { note } from './fix-kind.ts';
import { type EnvoyProxyPatch, gatewayOf, liveEnvoyProxy } from './gateway-objects.ts';
import { FIELD_REPLACED, LIVE_OBJECT_NOT_KEPT } from './notes.ts';
import type { RenderedChangeSet } from './renderer.ts';
import { yamlText } from './yaml-text.ts';

/** The list replaces the one in effect: said with how many patterns of it are kept. */
const REPLACES_LIST = noteType<{ kept: EvidenceValue }>()(
  'stats-matches-replace-list',
  'the list replaces the inclusion list in effect: it keeps its {kept} patterns and adds the prefixes; changing it restarts the proxies',
);
/** Plain Envoy reads the stats matcher at start. */
const BOOTSTRAP_NEEDS_RESTART = noteType<Record<never, never>>()(
  'bootstrap-needs-restart',
  'the stats matcher is read from the bootstrap at start: restart (or hot-restart) Envoy with it',
);
/** Istio reads the annotation when the sidecar starts. */
const ANNOTATION_ROLLS_PODS = noteType<{ workload: EvidenceValue }>()(
  'istio-annotation-rolls-pods',
  'the sidecar reads proxy.istio.io/config when it starts: this patch rolls the pods of {workload}; merge it with any proxy.istio.io/config they already carry',
);

/** The note types declared here. */
export const NOTE_TYPES = [REPLACES_LIST, BOOTSTRAP_NEEDS_RESTART, ANNOTATION_ROLLS_PODS];

/** A stats-inclusion change and the prefixes it adds (its kind's piece, src/fixes/kinds/stats-inclusion.ts). */
export interface StatsChange {
  change: FixChange;
  prefixes: string[];
}

/** The prefixes all of a snapshot's stats-inclusion changes add, and those changes. */
function collectPrefixes(stats: readonly StatsChange[]): { prefixes: string[]; changes: FixChange[] } {
  return { prefixes: [...new Set(stats.flatMap((c) => c.prefixes))], changes: stats.map((c) => c.change) };
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

/** Envoy Gateway: the EnvoyProxy's `telemetry.metrics.matches` holding the list in effect plus the prefixes. */
export function envoyGatewayStatsMatches(s: Snapshot, all: readonly StatsChange[]): EnvoyProxyPatch | undefined {
  const { prefixes, changes } = collectPrefixes(all);
  const gateway = gatewayOf(s);
  if (prefixes.length === 0 || !gateway) return undefined;
  const live = liveEnvoyProxy(s, gateway);
  const liveMatches = (live?.spec?.telemetry as { metrics?: { matches?: unknown } } | undefined)?.metrics?.matches;
  const kept = Array.isArray(liveMatches) ? (liveMatches as Array<{ type?: string; value: string }>) : keptPatterns(s).flatMap((m) => gatewayMatch(m) ?? []);
  const have = new Set(kept.filter((m) => (m.type ?? 'Exact') === 'Prefix').map((m) => m.value));
  const matches = [...kept, ...prefixes.filter((p) => !have.has(p)).map((value) => ({ type: 'Prefix', value }))];
  return { gateway, spec: { telemetry: { metrics: { matches } } }, notes: [note(REPLACES_LIST, { kept: kept.length })], changes };
}

/**
 * Adds stat-name prefixes to a live bootstrap's `stats_config.stats_matcher.inclusion_list`, keeping every live
 * pattern as it is written. The matcher is a oneof of `reject_all`, `exclusion_list` and `inclusion_list`
 * (api/envoy/config/metrics/v3/stats.proto): another member is removed.
 */
function mergeBootstrapInclusion(bootstrap: Obj, prefixes: readonly string[]): MergeOutcome {
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

/** Plain Envoy: the bootstrap's `stats_config.stats_matcher.inclusion_list` with the patterns in effect plus the prefixes. */
export function envoyStatsInclusion(s: Snapshot, all: readonly StatsChange[]): RenderedChangeSet[] {
  const { prefixes, changes } = collectPrefixes(all);
  if (prefixes.length === 0) return [];
  const kept = keptPatterns(s).flatMap((m) => envoyMatcher(m) ?? []);
  const have = new Set(
    keptPatterns(s)
      .filter((m) => m.kind === 'prefix' && !m.ignoreCase)
      .map((m) => m.value),
  );
  const patterns = [...kept, ...prefixes.filter((p) => !have.has(p)).map((prefix) => ({ prefix }))];
  const fragment = { stats_config: { stats_matcher: { inclusion_list: { patterns } } } };
  const notes: Explanation[] = [note(REPLACES_LIST, { kept: kept.length }), note(BOOTSTRAP_NEEDS_RESTART, {})];
  // The whole live bootstrap with the list merged in, when the dump had one.
  const live = s.statsConfig ? liveResource(s.statsConfig) : undefined;
  let merged: MergedEnvoyResource | undefined;
  if (live) {
    const before = structuredClone(live);
    const outcome = mergeBootstrapInclusion(live, prefixes);
    merged = { kind: 'bootstrap', name: 'bootstrap', object: live, diff: diffJson(before, live) };
    for (const field of outcome.removed) notes.push(note(FIELD_REPLACED, { resource: 'bootstrap', field }));
  } else notes.push(note(LIVE_OBJECT_NOT_KEPT, { resource: 'bootstrap' }));
  return [
    {
      fix: {
        flavor: 'envoy',
        target: 'bootstrap stats_config',
        apply: 'envoy-config',
        format: 'yaml',
        text: yamlText(fragment),
        notes,
        ...(merged ? { merged } : {}),
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

/** Other ProxyConfig fields a change sets (its kind's `proxy-config` piece), in the same annotation. */
export interface ProxyConfigChange {
  change: FixChange;
  proxyConfig: Obj;
  notes: Explanation[];
}

/**
 * Istio: the workload's pod template annotated with `proxy.istio.io/config`: `proxyStatsMatcher.inclusionPrefixes`
 * and the other ProxyConfig fields changes set, in one annotation (a second one would replace the first).
 */
export function istioStatsInclusion(s: Snapshot, all: readonly StatsChange[], others: readonly ProxyConfigChange[] = []): RenderedChangeSet[] {
  const { prefixes, changes } = collectPrefixes(all);
  if (prefixes.length === 0 && others.length === 0) return [];
  const w = workloadOf(s);
  const kind = WORKLOAD_KINDS[w.kind] ?? 'Deployment';
  const fields: Obj = prefixes.length > 0 ? { proxyStatsMatcher: { inclusionPrefixes: prefixes } } : {};
  for (const o of others) deepMerge(fields, o.proxyConfig);
  const proxyConfig = yamlText(fields);
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
        apply: 'kubectl-patch',
        format: 'yaml',
        text: yamlText(object),
        notes: [note(ANNOTATION_ROLLS_PODS, { workload: `${w.namespace}/${w.name}` }), ...others.flatMap((o) => o.notes)],
      },
      changes: [...changes, ...others.map((o) => o.change)],
    },
  ];
}
