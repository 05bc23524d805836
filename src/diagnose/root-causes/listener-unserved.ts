// listener-unserved: Envoy rejected a listener (`error_state`, api/envoy/admin/v3/config_dump_shared.proto) and
// no earlier version of it is active, so nothing accepts connections at its address. An update of a listener
// that serves keeps the old version serving (source/common/listener_manager/listener_manager_impl.cc): that is
// a warning finding only. Istio sidecars whose `virtualInbound` is rejected (a bad EnvoyFilter) refuse every
// inbound request. The fix is the rejected configuration itself, which the error text names; no field of
// envoy-doctor's changes would mend it.

import type { Finding } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { type Diagnosed, type DiagnosisRule, evidenceOf, scoring } from '../root-cause.ts';

const WHY_NO_FIX = 'the fix is the rejected configuration itself: its error text names the field to correct (for Istio, in the EnvoyFilter or resource that produced it)';

export const rule: DiagnosisRule = {
  id: 'listener-unserved',
  uses: ['listener-rejected'],
  noFixFor: { 'envoy-gateway': WHY_NO_FIX, envoy: WHY_NO_FIX, istio: WHY_NO_FIX },
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    return findings
      .filter((f) => f.code === 'listener-rejected' && f.evidence.stillServing === false)
      .map((f) => {
        // A rejected listener with an address would have bound it: nothing serves there now. Without one, what it
        // leaves unserved is less certain.
        const score = typeof f.evidence.address === 'string' ? 0.85 : 0.55;
        return {
          id: 'listener-unserved',
          ...scoring(s, score),
          entities: [f.entity],
          evidence: [f],
          explains: [{ code: 'rejected-listener-not-serving', values: evidenceOf(f, ['listener', 'address', 'lastUpdateAttempt', 'details']) }],
          checks: [],
          changes: [],
        };
      });
  },
};
