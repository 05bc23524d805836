// The overload manager's limits per flavor: one object for all of a proxy's changes to them
// (src/fixes/kinds/overload-max-heap.ts, overload-connection-limit.ts).
// - Plain Envoy: the bootstrap's `overload_manager.resource_monitors` (api/envoy/config/overload/v3/overload.proto),
//   the live list with the monitor's field set (a monitor the list lacks is added), actions and load shed points
//   left as they are. A connections monitor wins over the runtime key `overload.global_downstream_max_connections`
//   (source/common/network/tcp_listener_impl.cc rejectCxOverGlobalLimit).
// - Istio: the workload's ProxyConfig, the pod annotation `proxy.istio.io/config` (istio/api mesh/v1alpha1/
//   proxy.proto), patched into its pod template beside the stats inclusion list (stats-inclusion.ts).

import { noteType } from '../model/catalogue-entry.ts';
import type { Explanation, FixChange, MergedEnvoyResource } from '../model/finding.ts';
import { liveResource } from '../model/live-resources.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { isObj, type Obj, Spelling } from './envoy-spelling.ts';
import { note, type OverloadMonitorPiece } from './fix-kind.ts';
import { diffJson } from './json-diff.ts';
import { LIVE_OBJECT_NOT_KEPT } from './notes.ts';
import type { RenderedChangeSet } from './renderer.ts';
import { yamlText } from './yaml-text.ts';

/** The bootstrap is read at start: said beside every overload-manager fix. */
const NEEDS_RESTART = noteType<Record<never, never>>()(
  'overload-manager-needs-restart',
  'the overload manager is read from the bootstrap at start: restart (or hot-restart) Envoy with it; the list keeps every monitor in effect, the actions are left as they are',
);

/** The note types declared here. */
export const NOTE_TYPES = [NEEDS_RESTART];

/** An overload-monitor change and its piece. */
export interface MonitorChange {
  change: FixChange;
  piece: OverloadMonitorPiece;
}

/** Sets the pieces' fields in a list of resource monitors, adding a monitor the list lacks; the list is changed in place. */
function setMonitors(sp: Spelling, monitors: unknown[], pieces: readonly OverloadMonitorPiece[]): void {
  for (const p of pieces) {
    let monitor = monitors.find((m): m is Obj => isObj(m) && sp.get(m, 'name') === p.monitor);
    if (!monitor) {
      monitor = { name: p.monitor, [sp.key({}, 'typed_config')]: { '@type': p.typeUrl } };
      monitors.push(monitor);
    }
    sp.set(sp.child(monitor, 'typed_config'), p.field, p.value);
  }
}

/** Plain Envoy: the bootstrap's `overload_manager.resource_monitors` with every change's field set. */
export function envoyOverloadManager(s: Snapshot, all: readonly MonitorChange[]): RenderedChangeSet[] {
  if (all.length === 0) return [];
  const pieces = all.map((c) => c.piece);
  const notes: Explanation[] = [note(NEEDS_RESTART, {})];
  for (const p of pieces) notes.push(...(p.notes ?? []));
  // The whole live overload manager with the monitors set, when the dump had a bootstrap.
  const live = s.overloadManager ? liveResource(s.overloadManager) : undefined;
  let merged: MergedEnvoyResource | undefined;
  let monitors: unknown[];
  if (live) {
    const before = structuredClone(live);
    const sp = new Spelling(live);
    const key = sp.key(live, 'resource_monitors');
    monitors = Array.isArray(live[key]) ? (live[key] as unknown[]) : [];
    setMonitors(sp, monitors, pieces);
    live[key] = monitors;
    merged = { kind: 'bootstrap', name: 'overload_manager', object: live, diff: diffJson(before, live) };
    monitors = structuredClone(monitors);
  } else {
    monitors = [];
    setMonitors(new Spelling({}), monitors, pieces);
    notes.push(note(LIVE_OBJECT_NOT_KEPT, { resource: 'bootstrap overload_manager' }));
  }
  return [
    {
      fix: {
        flavor: 'envoy',
        target: 'bootstrap overload_manager',
        apply: 'envoy-config',
        format: 'yaml',
        // The list replaces the live one as a whole: every monitor in effect is in it.
        text: yamlText({ overload_manager: { resource_monitors: monitors } }),
        notes,
        ...(merged ? { merged } : {}),
      },
      changes: all.map((c) => c.change),
    },
  ];
}
