// listener-unserved: Envoy rejected a listener (`error_state`, api/envoy/admin/v3/config_dump_shared.proto) and
// no earlier version of it is active, so nothing accepts connections at its address. An update of a listener
// that serves keeps the old version serving (source/common/listener_manager/listener_manager_impl.cc): that is
// a warning finding only. Istio sidecars whose `virtualInbound` is rejected (a bad EnvoyFilter) refuse every
// inbound request. The fix is the rejected configuration itself, which the error text names; no field of
// envoy-doctor's changes would mend it.

import { explanationType } from '../../model/catalogue-entry.ts';
import type { EvidenceValue, Finding } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { type Diagnosed, defineRootCause, evidenceOf, explain, scoring } from '../root-cause.ts';

/** Explanation `rejected-listener-not-serving`. */
const REJECTED_LISTENER_NOT_SERVING = explanationType<{
  listener: EvidenceValue;
  address?: EvidenceValue;
  lastUpdateAttempt?: EvidenceValue;
  details: EvidenceValue;
}>()(
  'rejected-listener-not-serving',
  'listener {listener}[? on {address}] was rejected[? at {lastUpdateAttempt}] ({details}) and has no active version: nothing serves its address',
);

const WHY_NO_FIX =
  'the fix is the rejected configuration itself: its error text names the field to correct (for Istio, in the EnvoyFilter or resource that produced it)';

export const rootCause = defineRootCause({
  id: 'listener-unserved',
  title: 'A rejected listener leaves its address unserved',
  message:
    'Envoy rejected the listener and no earlier version of it is active, so nothing accepts connections on its address: clients there are refused (for an Istio sidecar, every inbound request when the rejected listener is virtualInbound)',
  uses: ['listener-rejected'],
  explanations: [REJECTED_LISTENER_NOT_SERVING],
  verify: [
    { scope: 'listener', setting: 'error_state of this listener in /config_dump', expect: 'absent' },
    { scope: 'listener', setting: 'active_state of this listener in /config_dump', expect: 'present' },
  ],
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
          explains: [explain(REJECTED_LISTENER_NOT_SERVING, evidenceOf(f, ['listener', 'address', 'lastUpdateAttempt', 'details']))],
          checks: [],
          changes: [],
        };
      });
  },
});
