// Dynamic listeners Envoy rejected. The listener manager keeps a rejected update's configuration, error text and
// time in the config dump (api/envoy/admin/v3/config_dump_shared.proto `ListenersConfigDump.DynamicListener.error_state`,
// `UpdateFailureState`; source/common/listener_manager/listener_manager_impl.cc). An earlier version of the listener,
// when there is one, keeps serving (`active_state`); a listener with no active version serves nothing at its address.
// Istio reports the same rejection as an LDS NACK (a bad EnvoyFilter: "Proto constraint validation failed ...").

import { findingType } from '../model/catalogue-entry.ts';
import type { Finding } from '../model/finding.ts';
import type { RejectedListener, Snapshot } from '../model/snapshot.ts';
import { defineAnalyzer, finding } from './analyzer.ts';

/** Evidence of a rejected listener update: what the config dump keeps of it, the listener named. */
type ListenerRejected = { listener: string } & Omit<RejectedListener, 'name'>;

/** A listener update Envoy rejected. */
const LISTENER_REJECTED = findingType<ListenerRejected>()(
  'listener-rejected',
  'A listener update Envoy rejected',
  'Envoy rejected listener {listener}[? on {address}][?, last tried {lastUpdateAttempt}]: {details}; an earlier version still serves: {stillServing}',
);

export const meta = defineAnalyzer({
  id: 'rejected-listeners',
  title: 'Listener updates Envoy rejected',
  reads: ['config'],
  stats: {},
  findings: [LISTENER_REJECTED],
});

export function analyze(s: Snapshot): Finding[] {
  return (s.rejectedListeners ?? []).map((r) =>
    finding(
      s,
      LISTENER_REJECTED,
      'warning',
      { kind: 'listener', name: r.name },
      {
        listener: r.name,
        address: r.address,
        port: r.port,
        details: r.details,
        lastUpdateAttempt: r.lastUpdateAttempt,
        versionInfo: r.versionInfo,
        stillServing: r.stillServing,
      },
    ),
  );
}
