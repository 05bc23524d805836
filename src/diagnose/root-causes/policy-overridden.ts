// policy-overridden: a gateway-level BackendTrafficPolicy is replaced for a route by a route-level one that lacks
// some of its fields, so those settings (the incident's tcpKeepalive) are not in effect for the route. The fix
// adds the lost fields to the winning policy, keeping everything else it sets.

import type { Finding, FixChange } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { type DiagnosisRule, type Diagnosed } from '../root-cause.ts';

export const rule: DiagnosisRule = {
  id: 'policy-overridden',
  uses: ['gateway-policy-overridden'],
  noFixFor: {
    envoy: 'which policy wins is an Envoy Gateway matter: the Envoy fields are in the other root causes\' fixes',
    istio: 'Envoy Gateway policies only',
  },
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    const out: Diagnosed[] = [];
    for (const f of findings.filter((x) => x.code === 'gateway-policy-overridden')) {
      const [gwNamespace, gwName] = String(f.evidence.gatewayPolicy).split('/') as [string, string];
      const [winNamespace, winName] = String(f.evidence.winningPolicy).split('/') as [string, string];
      const lost = String(f.evidence.lostFields).split(',');
      const source = s.kubernetes?.backendTrafficPolicies.find((p) => p.metadata.namespace === gwNamespace && p.metadata.name === gwName);
      const fields: Record<string, unknown> = {};
      for (const field of lost) if (source?.spec?.[field] !== undefined) fields[field] = source.spec[field];
      const changes: FixChange[] = [{ kind: 'policy-fields', policy: { kind: 'BackendTrafficPolicy', namespace: winNamespace, name: winName }, fields }];
      out.push({
        id: 'policy-overridden',
        severity: 'warning',
        confidence: f.evidence.markedOverridden ? 'high' : 'medium',
        score: f.evidence.markedOverridden ? 0.8 : 0.6,
        snapshot: s.id,
        entities: [f.entity, { kind: 'policy', name: `BackendTrafficPolicy ${gwNamespace}/${gwName}` }, { kind: 'policy', name: `BackendTrafficPolicy ${winNamespace}/${winName}` }],
        evidence: [f],
        explains: [{ code: 'policy-fields-not-in-effect', values: { lostFields: f.evidence.lostFields ?? null, route: f.entity.name } }],
        checks: [],
        changes,
      });
    }
    return out;
  },
};
