// Plain-Envoy fixes merged into the whole live resource they patch (a cluster, api/envoy/config/cluster/v3/
// cluster.proto; a listener, listener/v3/listener.proto; a route entry of a route configuration's
// `virtual_hosts[].routes[]`, route/v3/route_components.proto), so the result can replace the live resource as it is
// and still pass `envoy --mode validate`. Each change's kind edits the live object (its `merge`, src/fixes/kinds/);
// this file runs those edits on a copy of the dump's resource and says what they removed or could not do. Field
// names follow the live object's spelling (envoy-spelling.ts).

import { noteType } from '../model/catalogue-entry.ts';
import type { EvidenceValue, Explanation, FixChange, MergedEnvoyResource } from '../model/finding.ts';
import { liveResource } from '../model/live-resources.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { listenerByName, routeByName } from '../model/topology.ts';
import { LiveEdit, type MergeOutcome } from './envoy-live-edit.ts';
import type { Obj } from './envoy-spelling.ts';
import { type EnvoyResourcePiece, note } from './fix-kind.ts';
import { diffJson } from './json-diff.ts';
import { pieceOf } from './kinds/index.ts';
import { FIELD_REPLACED, LIVE_OBJECT_NOT_KEPT } from './notes.ts';
import { uniqueNotes } from './renderer.ts';

/** A change the live resource has nothing for, left as it is. */
const CHANGE_NOT_APPLICABLE = noteType<{ resource: EvidenceValue; change: EvidenceValue }>()(
  'envoy-change-not-applicable',
  '{change} does not apply to the live {resource} (a route that redirects or responds directly forwards nothing): it is left as it is',
);

/** The note types declared here. */
export const NOTE_TYPES = [CHANGE_NOT_APPLICABLE];

/** A change with its plain-Envoy piece. */
export interface EnvoyChange {
  change: FixChange;
  piece: EnvoyResourcePiece;
}

/** Runs the changes' edits on a live resource (in place). */
function mergePieces(live: Obj, changes: readonly EnvoyChange[], envoyVersion: string | undefined): MergeOutcome {
  const edit = new LiveEdit(live, envoyVersion);
  for (const { piece } of changes) piece.merge(edit);
  return edit.out;
}

/** Merges changes of one resource into its live object (in place); a change with no plain-Envoy edit is skipped. */
export function mergeChanges(s: Snapshot, live: Obj, changes: readonly FixChange[]): MergeOutcome {
  const edit = new LiveEdit(live, s.envoyVersion);
  for (const c of changes) {
    const piece = pieceOf('envoy', s, c);
    if (piece?.lands === 'resource') piece.merge(edit);
    else edit.out.skipped.push(c.kind);
  }
  return edit.out;
}

/** The whole live resource with these changes merged in, or why there is none. */
export function mergedResource(
  s: Snapshot,
  kind: 'cluster' | 'listener' | 'route',
  name: string,
  changes: readonly EnvoyChange[],
): { merged?: MergedEnvoyResource; notes: Explanation[] } {
  const model = kind === 'cluster' ? s.clusters.get(name) : kind === 'listener' ? listenerByName(s, name) : routeByName(s, name);
  const notKept = { notes: [note(LIVE_OBJECT_NOT_KEPT, { resource: `${kind} ${name}` })] };
  const live = model ? liveResource(model) : undefined;
  if (!model || !live) return notKept;
  try {
    // The dump prints each resource as an Any: its `@type` names the wrapper, and Envoy's config has no such field.
    delete live['@type'];
    const before = structuredClone(live);
    const outcome = mergePieces(live, changes, s.envoyVersion);
    const merged: MergedEnvoyResource = { kind, name, object: live, diff: diffJson(before, live) };
    if (kind === 'route' && 'routeConfigName' in model) {
      merged.routeConfiguration = model.routeConfigName;
      merged.virtualHost = model.virtualHost;
    }
    const notes: Explanation[] = outcome.removed.map((field) => note(FIELD_REPLACED, { resource: `${kind} ${name}`, field }));
    for (const skipped of new Set(outcome.skipped)) notes.push(note(CHANGE_NOT_APPLICABLE, { resource: `${kind} ${name}`, change: skipped }));
    notes.push(...uniqueNotes(changes.flatMap((c) => c.piece.mergedNotes ?? [])));
    return { merged, notes };
  } catch (e) {
    // A resource nested past the stack (a damaged dump) cannot be merged: the fragment still stands.
    if (e instanceof RangeError) return notKept;
    throw e;
  }
}
