// The one catalogue of finding, root-cause, explanation and note ids, derived from the modules that declare them:
// the analyzers (their findings), the root causes (their entries and explanations) and the fix renderers and fix
// kinds (their notes). Ids are stable and never reused; reporters look up titles and message templates here.

import { FINDING_TYPES } from '../analyzers/index.ts';
import { EXPLANATION_TYPES, ROOT_CAUSE_ENTRIES } from '../diagnose/root-causes/index.ts';
import { NOTE_TYPES } from '../fixes/note-types.ts';
import type { CatalogueEntry } from '../model/catalogue-entry.ts';

/** Every id envoy-doctor has ever shipped or reserved. */
export const CATALOGUE: readonly CatalogueEntry[] = [...FINDING_TYPES, ...ROOT_CAUSE_ENTRIES, ...EXPLANATION_TYPES, ...NOTE_TYPES];

const byId = new Map(CATALOGUE.map((e) => [e.id, e]));

/** The catalogue entry for an id; throws for an unknown id, which is a programming error. */
export function entry(id: string): CatalogueEntry {
  const e = byId.get(id);
  if (!e) throw new Error(`unknown catalogue id ${id}`);
  return e;
}
