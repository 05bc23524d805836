// listener-drain: listener updates drain the listeners that hold upgraded connections, and a WebSocket has no
// next response to close after, so it is closed when the drain time ends (flag DC, details
// `filter_chain_is_being_removed`; docs/root/intro/arch_overview/operations/draining.rst, envoyproxy/gateway#8889).
// Evidence, strongest first: upgraded sessions closed by a drain in the access log, listener updates during the
// window with WebSockets open, listeners draining now. Historic update counts alone name nothing. The fix data is
// a longer drain time (sessions outlive short bursts of updates); the docs page covers stopping the updates.

import type { Explanation, Finding } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { webSocketListeners } from '../../model/topology.ts';
import { type DiagnosisRule, type Diagnosed, evidenceOf, scoring } from '../root-cause.ts';

/** The drain time proposed: Envoy's own default, ten minutes. */
export const PROPOSED_DRAIN_SECONDS = 600;

function num(f: Finding, key: string): number {
  const v = f.evidence[key];
  return typeof v === 'number' ? v : 0;
}

export const rule: DiagnosisRule = {
  id: 'listener-drain',
  uses: ['listeners-drained'],
  noFixFor: {
    envoy: 'the drain time is the command-line flag --drain-time-s, not configuration (docs page)',
    istio: "the drain time is the pod's proxy.istio.io/config drainDuration annotation, set on the workload (docs page)",
  },
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    const f = findings.find((x) => x.code === 'listeners-drained' && x.severity !== 'info');
    if (!f) return [];
    const explains: Explanation[] = [];
    let score = 0.35;
    if (num(f, 'logDrainUpgrades') > 0) {
      score += 0.4;
      explains.push({ code: 'drain-closed-upgrades', values: evidenceOf(f, ['logDrainUpgrades', 'logDrainCloses', 'drainSeconds']) });
    }
    if (num(f, 'windowUpdates') > 0 && num(f, 'upgradesActive') > 0) {
      score += 0.25;
      explains.push({ code: 'listener-updates-in-window', values: evidenceOf(f, ['windowUpdates', 'windowSeconds', 'upgradesActive', 'drainSeconds']) });
    }
    const drainingNow = num(f, 'listenersDraining') + num(f, 'filterChainsDraining') + num(f, 'drainingInConfig');
    if (drainingNow > 0) {
      score += 0.1;
      explains.push({ code: 'listeners-draining-now', values: evidenceOf(f, ['listenersDraining', 'filterChainsDraining', 'drainingInConfig', 'upgradesActive']) });
    }
    const listeners = webSocketListeners(s).map((l) => l.listener.name);
    const seconds = Math.max(PROPOSED_DRAIN_SECONDS, num(f, 'drainSeconds'));
    return [
      {
        id: 'listener-drain',
        ...scoring(s, score),
        entities: [f.entity, ...listeners.map((name) => ({ kind: 'listener' as const, name }))],
        evidence: [f],
        explains,
        checks: [],
        // One change per proxy is enough: the drain time is the proxy's, whichever listener leads to its Gateway.
        changes: listeners.length > 0 && num(f, 'drainSeconds') < PROPOSED_DRAIN_SECONDS ? [{ kind: 'proxy-drain-time', listener: listeners[0] as string, seconds }] : [],
      },
    ];
  },
};
