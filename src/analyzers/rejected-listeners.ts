// Dynamic listeners Envoy rejected. The listener manager keeps a rejected update's configuration, error text and
// time in the config dump (api/envoy/admin/v3/config_dump_shared.proto `ListenersConfigDump.DynamicListener.error_state`,
// `UpdateFailureState`; source/common/listener_manager/listener_manager_impl.cc). An earlier version of the listener,
// when there is one, keeps serving (`active_state`); a listener with no active version serves nothing at its address.
// Istio reports the same rejection as an LDS NACK (a bad EnvoyFilter: "Proto constraint validation failed ...").

import type { Finding } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { type AnalyzerMeta, finding } from './analyzer.ts';

export const meta: AnalyzerMeta = {
  id: 'rejected-listeners',
  title: 'Listener updates Envoy rejected',
  reads: ['config'],
  emits: ['listener-rejected'],
  docs: 'docs/analyzers/rejected-listeners.md',
};

export function analyze(s: Snapshot): Finding[] {
  return (s.rejectedListeners ?? []).map((r) =>
    finding(s, 'listener-rejected', 'warning', { kind: 'listener', name: r.name }, {
      listener: r.name,
      address: r.address,
      port: r.port,
      details: r.details,
      lastUpdateAttempt: r.lastUpdateAttempt,
      versionInfo: r.versionInfo,
      stillServing: r.stillServing,
    }),
  );
}
