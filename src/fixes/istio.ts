// Fixes as Istio objects, from each change's Istio piece (src/fixes/kinds/): DestinationRule connectionPool for
// outbound clusters (istio/api networking/v1alpha3/destination_rule.proto ConnectionPoolSettings), one per host;
// changes with no first-class field are one EnvoyFilter of MERGE patches of the Envoy fields (istio/api
// networking/v1alpha3/envoy_filter.proto, istio-envoy-filter.ts), scoped to the workload the proxy runs:
// - `workloadSelector` from the workload's pod labels in the node metadata (`LABELS`); without them the filter is
//   left in the proxy's namespace and says how far it reaches (in the root namespace, istio-system, every proxy);
// - `context` from what the proxy is (gateway or sidecar, inbound or outbound);
// - a route generated from a VirtualService (route metadata `istio.config`) gets its timeout in the http route it
//   came from (istio-virtual-service.ts: a merge patch of the live VirtualService, else a guarded JSON patch), and a
//   cluster a DestinationRule already configures (cluster metadata `istio.config`) is patched in that DestinationRule.
// Cluster names: `outbound|<port>|<subset>|<host>`, `inbound|<port>||`.

import { noteType } from '../model/catalogue-entry.ts';
import type { EvidenceValue, Explanation, FixChange } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { deepMerge } from './changes.ts';
import { note } from './fix-kind.ts';
import { istioCluster, istioConfigOf, proxyKind, unnamedRoute } from './istio-envoy-filter.ts';
import { type VirtualServiceEdit, virtualServiceFixes } from './istio-virtual-service.ts';
import { changeTarget, pieceOf } from './kinds/index.ts';
import type { FixRenderer, RenderedChangeSet } from './renderer.ts';
import { istioStatsInclusion, type ProxyConfigChange, type StatsChange } from './stats-inclusion-list.ts';
import { yamlText } from './yaml-text.ts';

/** How far the EnvoyFilter reaches: the workload, the whole mesh, or the whole namespace. */
const WORKLOAD_SCOPED = noteType<{ selector: EvidenceValue; namespace: EvidenceValue; proxy: EvidenceValue }>()(
  'envoyfilter-workload-scoped',
  'scoped to the workload this proxy runs ({selector} in {namespace}, from its node metadata) and to its {proxy} context',
);
const MESH_WIDE = noteType<{ namespace: EvidenceValue }>()(
  'envoyfilter-mesh-wide',
  "the dump names no workload labels and {namespace} is the root namespace: without a workloadSelector this EnvoyFilter applies to every proxy of the mesh; add the workload's pod labels before applying it",
);
const ADD_WORKLOAD_SELECTOR = noteType<{ namespace: EvidenceValue }>()(
  'envoyfilter-add-workload-selector',
  "without a workloadSelector this EnvoyFilter applies to every proxy in {namespace}: add the workload's labels to narrow it",
);
/** A route patch that cannot reach its route: Envoy's entry has no name to match. */
const UNNAMED_ROUTE = noteType<{ route: EvidenceValue }>()(
  'envoyfilter-route-unnamed',
  'route {route} has no name in the dump (envoy-doctor names it by its place), and an EnvoyFilter selects a route by name or action only: its HTTP_ROUTE patch here matches nothing; change the object Istio builds the route from (the VirtualService http route) instead',
);
/** A DestinationRule for the host: the live one patched, or a new one. */
const PATCH_DESTINATION_RULE = noteType<{ destinationRule: EvidenceValue; host: EvidenceValue; port: EvidenceValue }>()(
  'istio-patch-destination-rule',
  'DestinationRule {destinationRule} already configures {host}: this merge patch sets connectionPool on its trafficPolicy and keeps every other field (kubectl -n <namespace> patch destinationrule <name> --type merge --patch-file FILE); a portLevelSettings entry for port {port} there overrides it',
);
const ONE_DESTINATION_RULE_PER_HOST = noteType<{ host: EvidenceValue }>()(
  'istio-one-destination-rule-per-host',
  'Istio applies one DestinationRule per host: if one for {host} already exists (the dump shows none on this cluster), add these settings to it instead',
);

/** The note types declared here. */
export const NOTE_TYPES = [WORKLOAD_SCOPED, MESH_WIDE, ADD_WORKLOAD_SELECTOR, UNNAMED_ROUTE, PATCH_DESTINATION_RULE, ONE_DESTINATION_RULE_PER_HOST];

function hostNamespace(host: string, fallback: string): string {
  const parts = host.split('.');
  return parts.length >= 3 && parts[2] === 'svc' ? (parts[1] as string) : fallback;
}

function yamlOf(o: unknown): string {
  return yamlText(o);
}

/** Pod labels that name a workload, in order of preference. */
const WORKLOAD_LABELS = ['istio', 'app', 'app.kubernetes.io/name', 'app.kubernetes.io/instance', 'version'];
/** Labels that differ between pods of one workload, or that Istio itself sets: never selected on. */
const VOLATILE_LABEL =
  /^(pod-template-hash|controller-revision-hash|pod-template-generation|statefulset\.kubernetes\.io\/pod-name|security\.istio\.io\/|service\.istio\.io\/|topology\.istio\.io\/|istio\.io\/rev)/;

/** The labels that select the proxy's workload, from the node metadata; undefined when the dump has none. */
export function workloadSelector(s: Snapshot): Record<string, string> | undefined {
  const labels = s.node?.labels;
  if (!labels) return undefined;
  const named = WORKLOAD_LABELS.filter((k) => labels[k] !== undefined);
  const keys = named.length > 0 ? named : Object.keys(labels).filter((k) => !VOLATILE_LABEL.test(k));
  return keys.length > 0 ? Object.fromEntries(keys.map((k) => [k, labels[k] as string])) : undefined;
}

/** The EnvoyFilter's name: the workload's, else the proxy's. */
function filterName(s: Snapshot, selector: Record<string, string> | undefined): string {
  const base = s.node?.workloadName ?? selector?.app ?? selector?.istio ?? s.id;
  return `${base}-connection`
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .slice(0, 253);
}

/** Istio's root namespace: an EnvoyFilter there without a selector applies to every proxy of the mesh. */
const ROOT_NAMESPACE = 'istio-system';

/** The connection-pool settings of one host, and the changes that set them. */
interface HostPool {
  host: string;
  port: number;
  namespace: string;
  pool: Record<string, unknown>;
  changes: FixChange[];
  existing?: { namespace: string; name: string };
}

/** The EnvoyFilter carrying every patch, with the notes that say how far it reaches. */
function envoyFilter(s: Snapshot, patches: Array<{ patch: Record<string, unknown>; change: FixChange }>, notes: Explanation[]): RenderedChangeSet {
  const namespace = s.namespace ?? 'default';
  const selector = workloadSelector(s);
  const name = filterName(s, selector);
  if (selector)
    notes.unshift(
      note(WORKLOAD_SCOPED, {
        selector: Object.entries(selector)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
        namespace,
        proxy: proxyKind(s),
      }),
    );
  else if (namespace === ROOT_NAMESPACE) notes.unshift(note(MESH_WIDE, { namespace }));
  else notes.unshift(note(ADD_WORKLOAD_SELECTOR, { namespace }));
  const spec = { ...(selector ? { workloadSelector: { labels: selector } } : {}), configPatches: patches.map((p) => p.patch) };
  return {
    fix: {
      flavor: 'istio',
      target: `EnvoyFilter ${namespace}/${name}`,
      apply: 'kubectl-apply',
      format: 'yaml',
      text: yamlOf({ apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name, namespace }, spec }),
      notes,
    },
    changes: patches.map((p) => p.change),
  };
}

/** Renders changes as DestinationRules and one EnvoyFilter for the proxy's workload. */
export const istioRenderer: FixRenderer = {
  flavor: 'istio',
  render(s: Snapshot, changes: FixChange[]): RenderedChangeSet[] {
    const namespace = s.namespace ?? 'default';
    const rules = new Map<string, HostPool>();
    const patches: Array<{ patch: Record<string, unknown>; change: FixChange }> = [];
    const notes: Explanation[] = [];
    const stats: StatsChange[] = [];
    const proxyConfigs: ProxyConfigChange[] = [];
    const virtualServices: VirtualServiceEdit[] = [];
    for (const c of changes) {
      const piece = pieceOf('istio', s, c);
      if (piece?.lands === 'stats-inclusion') stats.push({ change: c, prefixes: piece.prefixes });
      if (piece?.lands === 'proxy-config') proxyConfigs.push({ change: c, proxyConfig: piece.proxyConfig, notes: piece.notes });
      if (piece?.lands === 'virtual-service-http') virtualServices.push({ change: c, piece });
      if (piece?.lands !== 'traffic') continue;
      const t = changeTarget(c);
      const ic = t.kind === 'cluster' ? istioCluster(t.name) : undefined;
      if (t.kind === 'cluster' && ic?.direction === 'outbound' && piece.connectionPool) {
        // A DestinationRule that already configures the cluster is the one to change: Istio uses one per host.
        const config = istioConfigOf(s.clusters.get(t.name));
        const existing = config?.kind === 'destination-rule' ? { namespace: config.namespace, name: config.name } : undefined;
        const key = existing ? `${existing.namespace}/${existing.name}` : `${ic.host}|${ic.port}`;
        const rule = rules.get(key) ?? {
          host: ic.host,
          port: ic.port,
          namespace: hostNamespace(ic.host, namespace),
          pool: {},
          changes: [],
          ...(existing ? { existing } : {}),
        };
        deepMerge(rule.pool, piece.connectionPool);
        rule.changes.push(c);
        rules.set(key, rule);
        continue;
      }
      if (!piece.envoyFilterPatch) continue;
      patches.push({ patch: piece.envoyFilterPatch, change: c });
      notes.push(...(piece.notes ?? []));
      if (t.kind === 'route' && unnamedRoute(s, t.name)) notes.push(note(UNNAMED_ROUTE, { route: t.name }));
    }
    const out = [...rules.values()].map(destinationRule);
    out.push(...virtualServiceFixes(virtualServices));
    if (patches.length > 0) out.push(envoyFilter(s, patches, notes));
    out.push(...istioStatsInclusion(s, stats, proxyConfigs));
    return out;
  },
};

/**
 * The connection-pool settings of one host: a merge patch of the DestinationRule that already configures the
 * cluster (its trafficPolicy, every other field kept), or a new DestinationRule for the host and port.
 */
function destinationRule(r: HostPool): RenderedChangeSet {
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
        notes: [note(PATCH_DESTINATION_RULE, { destinationRule: `${r.existing.namespace}/${r.existing.name}`, host: r.host, port: r.port })],
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
      notes: [note(ONE_DESTINATION_RULE_PER_HOST, { host: r.host })],
    },
    changes: r.changes,
  };
}
