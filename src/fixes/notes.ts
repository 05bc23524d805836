// Notes several fix renderers attach: on plain Envoy's merge with the live object (envoy-merge.ts for clusters,
// listeners and routes; overload-manager.ts and stats-inclusion.ts for the bootstrap). A note one renderer or one fix
// kind attaches is declared beside the code that attaches it.

import { noteType } from '../model/catalogue-entry.ts';
import type { EvidenceValue } from '../model/finding.ts';

/** The live object was not kept from the config dump: the fragment is merged by hand. */
export const LIVE_OBJECT_NOT_KEPT = noteType<{ resource: EvidenceValue }>()(
  'envoy-live-object-not-kept',
  "the live {resource} was not kept from the config dump (envoy-doctor keeps about 16 MiB of a dump's resources whole): merge the fragment into it by hand, keeping every field it has",
);

/** A live field the merge replaced (a oneof member), left out of the merged object. */
export const FIELD_REPLACED = noteType<{ resource: EvidenceValue; field: EvidenceValue }>()(
  'envoy-field-replaced',
  'merged into the live {resource}, the fix replaces {field} on purpose: the merged object leaves it out',
);

/** The note types declared here. */
export const NOTE_TYPES = [LIVE_OBJECT_NOT_KEPT, FIELD_REPLACED];
