// The offline pipeline composed: the analyzers and rules of src/diagnose, with the fix renderers of src/fixes
// attaching each proxy's fixes (diagnose itself stops at root causes and never imports the fixes).

import { type Diagnosis, FleetDiagnosis, type Keep } from '../diagnose/diagnose.ts';
import { attachFixes } from '../fixes/plan.ts';
import type { NotCollected, Snapshot } from '../model/snapshot.ts';

/** Starts an empty diagnosis whose root causes carry their rendered fixes. */
export function startDiagnosis(keep: Keep = 'summary'): Promise<FleetDiagnosis> {
  return FleetDiagnosis.start(attachFixes, keep);
}

/** Diagnoses snapshots, fixes attached. Pure apart from loading the analyzer modules. */
export async function diagnose(snapshots: Snapshot[], notCollected: NotCollected[] = []): Promise<Diagnosis> {
  const run = await startDiagnosis('snapshot');
  snapshots.forEach((s, i) => run.add(s, i));
  notCollected.forEach((n, i) => run.skip(n, i));
  return run.result();
}
