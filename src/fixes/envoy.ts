// Fixes as plain Envoy configuration: the fields each change sets at their exact paths (its kind's piece,
// src/fixes/kinds/), grouped into one YAML fragment per cluster (api/envoy/config/cluster/v3/cluster.proto), route
// entry (route/v3/route_components.proto), listener (listener/v3/listener.proto), listener HTTP connection manager
// (extensions/filters/network/http_connection_manager/v3) or TCP proxy (extensions/filters/network/tcp_proxy/v3);
// and, when the config dump's resource was kept, the whole live resource with the fix's changes merged in
// (envoy-merge.ts), which replaces the live one as it is. The stats inclusion list is the bootstrap's
// (stats-inclusion.ts).

import { noteType } from '../model/catalogue-entry.ts';
import type { EvidenceValue, Explanation, FixChange } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { listenerByName } from '../model/topology.ts';
import { deepMerge } from './changes.ts';
import { type EnvoyChange, mergedResource } from './envoy-merge.ts';
import { note } from './fix-kind.ts';
import { changeTarget, pieceOf } from './kinds/index.ts';
import { type FixBody, lazyFix } from './lazy-fix.ts';
import { FIELD_REPLACED } from './notes.ts';
import { envoyOverloadManager, type MonitorChange } from './overload-limits.ts';
import { type FixRenderer, type RenderedChangeSet, uniqueNotes } from './renderer.ts';
import { envoyStatsInclusion, type StatsChange } from './stats-inclusion-list.ts';
import { yamlText } from './yaml-text.ts';

/** A listener's merged object carries this fix's changes only: several fixes of it are merged one into another. */
const MERGED_THIS_FIX = noteType<{ listener: EvidenceValue }>()(
  'envoy-merged-this-fix',
  "merged is the live listener {listener} with this fix's changes only: where several fixes change the listener (its own fields, a connection manager, a TCP proxy), merge each fragment into the listener in turn, or apply one merged object and merge the other fragments into it",
);

/** The note types declared here. */
export const NOTE_TYPES = [MERGED_THIS_FIX];

/**
 * Writes `null` into a resource's fragment for each live field the merge replaced (a oneof member such as
 * `explicit_http_config`) whose parent the fragment sets, so the fragment merged field by field into the live
 * resource does not leave two members of a oneof; Envoy reads a null field as unset.
 */
export function nullReplacedFields(fields: Record<string, unknown>, notes: Explanation[]): void {
  for (const n of notes) {
    if (n.code !== FIELD_REPLACED.id || typeof n.values.field !== 'string') continue;
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

/** One fragment being built: the resource it belongs to, what it is, its fields and the changes in it. */
interface Fragment {
  resource: string;
  target: string;
  fields: Record<string, unknown>;
  changes: EnvoyChange[];
}

/** A live resource and the changes to merge into it. */
interface Resource {
  kind: 'cluster' | 'listener' | 'route';
  name: string;
  changes: EnvoyChange[];
}

/** The fragments of a snapshot's resource changes, by resource (or connection manager, or TCP proxy), and the resources. */
function fragments(s: Snapshot, changes: readonly EnvoyChange[]): { groups: Map<string, Fragment>; byResource: Map<string, Resource> } {
  const groups = new Map<string, Fragment>();
  const byResource = new Map<string, Resource>();
  const add = (key: string, resource: string, target: string, fields: Record<string, unknown>, c: EnvoyChange) => {
    const g = groups.get(key) ?? { resource, target, fields: {}, changes: [] };
    deepMerge(g.fields, fields);
    g.changes.push(c);
    groups.set(key, g);
  };
  for (const c of changes) {
    const t = changeTarget(c.change);
    if (t.kind === 'policy' || t.kind === 'proxy') continue;
    const resource = `${t.kind}|${t.name}`;
    const r = byResource.get(resource) ?? { kind: t.kind, name: t.name, changes: [] };
    r.changes.push(c);
    byResource.set(resource, r);
    const { piece } = c;
    if (piece.resource) add(resource, resource, `${t.kind} ${t.name}`, { name: t.name, ...piece.resource }, c);
    if (piece.connectionManager) {
      const prefixes = listenerByName(s, t.name)?.filterChains.flatMap((f) => (f.connectionManager ? [f.connectionManager.statPrefix] : [])) ?? [];
      const where = prefixes.length > 0 ? ` (stat_prefix ${[...new Set(prefixes)].join(', ')})` : '';
      add(`hcm|${t.name}`, resource, `listener ${t.name}: envoy.filters.network.http_connection_manager${where}`, piece.connectionManager, c);
    }
    if (piece.tcpProxy) {
      const { statPrefix, fields } = piece.tcpProxy;
      add(`tcp|${t.name}|${statPrefix}`, resource, `listener ${t.name}: envoy.filters.network.tcp_proxy (stat_prefix ${statPrefix})`, fields, c);
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
  return { groups, byResource };
}

/** The changes that land in resources, with their plain-Envoy pieces. */
function resourceChangesOf(s: Snapshot, changes: readonly FixChange[]): EnvoyChange[] {
  const out: EnvoyChange[] = [];
  for (const change of changes) {
    const piece = pieceOf('envoy', s, change);
    if (piece?.lands === 'resource') out.push({ change, piece });
  }
  return out;
}

/**
 * A fragment's text and notes, and its live resource with the fragment's changes merged in (`merged`, when kept). Only
 * the fragment's changes are held until it is read (lazy-fix.ts): their pieces and the fragment are computed again
 * from them, as the same changes in the same order group into the same fragment.
 */
function fragmentBody(s: Snapshot, changes: readonly FixChange[], key: string): FixBody {
  const { groups, byResource } = fragments(s, resourceChangesOf(s, changes));
  const g = groups.get(key) as Fragment;
  const r = byResource.get(g.resource);
  const m = r ? mergedResource(s, r.kind, r.name, g.changes) : undefined;
  if (key === g.resource) nullReplacedFields(g.fields, m?.notes ?? []);
  const notes = [...(m?.notes ?? [])];
  if (m?.merged && r?.kind === 'listener') notes.push(note(MERGED_THIS_FIX, { listener: r.name }));
  notes.push(...uniqueNotes(g.changes.flatMap((c) => c.piece.notes ?? [])));
  return { text: yamlText(g.fields), notes, ...(m?.merged ? { merged: m.merged } : {}) };
}

/** Renders changes as plain Envoy fragments and merged live resources. */
export const envoyRenderer: FixRenderer = {
  flavor: 'envoy',
  render(s: Snapshot, changes: FixChange[]): RenderedChangeSet[] {
    const resourceChanges: EnvoyChange[] = [];
    const stats: StatsChange[] = [];
    const monitors: MonitorChange[] = [];
    for (const change of changes) {
      const piece = pieceOf('envoy', s, change);
      if (piece?.lands === 'resource') resourceChanges.push({ change, piece });
      else if (piece?.lands === 'stats-inclusion') stats.push({ change, prefixes: piece.prefixes });
      else if (piece?.lands === 'overload-monitor') monitors.push({ change, piece });
    }
    const { groups, byResource } = fragments(s, resourceChanges);
    // Each fix carries the whole live object with its own changes merged in, so it does not depend on what other root
    // causes found (the pods of one deployment share their fixes); a listener's fixes are merged one into another.
    // The merge and the YAML are rendered when a report reads the fix.
    const resources: RenderedChangeSet[] = [];
    for (const [key, g] of groups) {
      const r = byResource.get(g.resource);
      // A group whose changes have no fragment and change nothing live (nothing to remove) is no fix: only such a
      // group is merged before it is read.
      const bare = key === g.resource && Object.keys(g.fields).length === 1;
      if (bare && (r === undefined || (mergedResource(s, r.kind, r.name, g.changes).merged?.diff.length ?? 0) === 0)) continue;
      const head = { flavor: 'envoy', target: g.target, apply: 'envoy-config', format: 'yaml' } as const;
      const groupChanges = g.changes.map((c) => c.change);
      resources.push({ fix: lazyFix(head, fragmentBody, s, groupChanges, key), changes: groupChanges });
    }
    return [...resources, ...envoyStatsInclusion(s, stats), ...envoyOverloadManager(s, monitors)];
  },
};
