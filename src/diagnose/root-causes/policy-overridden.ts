// policy-overridden: a gateway-level BackendTrafficPolicy is replaced for a route by a route-level one that lacks
// some of its fields, so those settings (the incident's tcpKeepalive) are not in effect for the route. The fix
// adds the lost fields to the winning policy, keeping everything else it sets.

import { explanationType } from '../../model/catalogue-entry.ts';
import type { EvidenceValue, Finding, FixChange } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { defineRootCause, explain, type Diagnosed } from '../root-cause.ts';

/** Explanation `policy-fields-not-in-effect`. */
const POLICY_FIELDS_NOT_IN_EFFECT = explanationType<{ lostFields: EvidenceValue; route: EvidenceValue }>()(
  'policy-fields-not-in-effect',
  '{lostFields} set on the Gateway do not reach {route}: the route-level policy wins outright',
);

export const rootCause = defineRootCause({
  id: 'policy-overridden',
  title: 'A gateway-level policy is overridden for the route',
  message: 'a route-level BackendTrafficPolicy replaces the gateway-level one, so {lostFields} are not in effect for {route}',
  uses: ['gateway-policy-overridden'],
  explanations: [POLICY_FIELDS_NOT_IN_EFFECT],
  verify: [
    { scope: 'policy', setting: 'status condition Overridden on the gateway-level policy for this route', expect: 'absent' },
    { scope: 'route', setting: "the gateway-level fields (tcpKeepalive, timeouts) in the route's cluster in /config_dump", expect: 'present' },
  ],
  noFixFor: {
    envoy: "which policy wins is an Envoy Gateway matter: the Envoy fields are in the other root causes' fixes",
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
        entities: [
          f.entity,
          { kind: 'policy', name: `BackendTrafficPolicy ${gwNamespace}/${gwName}` },
          { kind: 'policy', name: `BackendTrafficPolicy ${winNamespace}/${winName}` },
        ],
        evidence: [f],
        explains: [explain(POLICY_FIELDS_NOT_IN_EFFECT, { lostFields: f.evidence.lostFields ?? null, route: f.entity.name })],
        checks: [],
        changes,
      });
    }
    return out;
  },
});
