// config-drift: objects that shape the proxies differ from what the Git checkout declares, or were never applied.
// Named once per snapshot with every drifted object, so the diagnosis says which live settings are not the ones
// under review.

import type { Finding } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { type DiagnosisRule, type Diagnosed } from '../root-cause.ts';

export const rule: DiagnosisRule = {
  id: 'config-drift',
  uses: ['manifest-drift', 'manifest-not-applied'],
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
        explains: [{ code: 'live-differs-from-git', values: { objects: drift.length, fields, manifests: s.manifests?.source ?? null } }],
        checks: [],
        changes: [],
      },
    ];
  },
};
