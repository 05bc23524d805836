// config-drift: objects that shape the proxies differ from what the Git checkout declares, or were never applied.
// Named once per snapshot with every drifted object, so the diagnosis says which live settings are not the ones
// under review.

import { explanationType } from '../../model/catalogue-entry.ts';
import type { EvidenceValue, Finding } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { defineRootCause, explain, type Diagnosed } from '../root-cause.ts';

/** Explanation `live-differs-from-git`. */
const LIVE_DIFFERS_FROM_GIT = explanationType<{ objects: EvidenceValue; manifests: EvidenceValue; fields: EvidenceValue }>()(
  'live-differs-from-git',
  '{objects} {objects|object|objects} in the cluster {objects|is|are} not what {manifests} declares ({fields} {fields|field differs|fields differ}): the settings diagnosed are the live ones',
);

export const rootCause = defineRootCause({
  id: 'config-drift',
  title: 'Live policies differ from the manifests',
  message: '{objects} {objects|object differs|objects differ} from {manifests} in {fields} {fields|field|fields}',
  uses: ['manifest-drift', 'manifest-not-applied'],
  explanations: [LIVE_DIFFERS_FROM_GIT],
  verify: [
    { scope: 'policy', setting: 'fields that differ from the manifests (envoy-doctor diagnose --manifests reports no manifest-drift)', expect: 'absent' },
  ],
  noFixFor: {
    'envoy-gateway': 'either side may be right: apply the manifests, or commit the live objects; the fields that differ are the evidence',
    envoy: 'Envoy Gateway manifests only',
    istio: 'Envoy Gateway manifests only',
  },
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    const drift = findings.filter((f) => f.code === 'manifest-drift' || f.code === 'manifest-not-applied');
    if (drift.length === 0) return [];
    const fields = drift.reduce((n, f) => n + (typeof f.evidence.changedCount === 'number' ? f.evidence.changedCount : 0), 0);
    return [
      {
        id: 'config-drift',
        severity: 'warning',
        confidence: 'high',
        score: 0.7,
        snapshot: s.id,
        entities: drift.map((f) => f.entity),
        evidence: drift,
        explains: [explain(LIVE_DIFFERS_FROM_GIT, { objects: drift.length, fields, manifests: s.manifests?.source ?? null })],
        checks: [],
        changes: [],
      },
    ];
  },
});
