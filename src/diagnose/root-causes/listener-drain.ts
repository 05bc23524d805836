// listener-drain: listener updates drain the listeners that hold upgraded connections, and a WebSocket has no
// next response to close after, so it is closed when the drain time ends (flag DC, details
// `filter_chain_is_being_removed`; docs/root/intro/arch_overview/operations/draining.rst, envoyproxy/gateway#8889).
// Evidence, strongest first: upgraded sessions closed by a drain in the access log, listener updates during the
// window with WebSockets open, listeners draining now. Historic update counts alone name nothing. The fix data is
// a longer drain time (sessions outlive short bursts of updates); the docs page covers stopping the updates.

import { explanationType } from '../../model/catalogue-entry.ts';
import type { EvidenceValue, Explanation, Finding } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { webSocketListeners } from '../../model/topology.ts';
import { type Diagnosed, defineRootCause, explain, evidenceOf, scoring } from '../root-cause.ts';

/** Explanation `drain-closed-upgrades`. */
const DRAIN_CLOSED_UPGRADES = explanationType<{ logDrainUpgrades: EvidenceValue; logDrainCloses: EvidenceValue; drainSeconds: EvidenceValue }>()(
  'drain-closed-upgrades',
  '{logDrainUpgrades} {logDrainUpgrades|upgraded session|upgraded sessions} ({logDrainCloses} {logDrainCloses|connection|connections} in all) {logDrainUpgrades|was|were} closed when their filter chain or listener drained, after a drain time of {drainSeconds}',
);

/** Explanation `listener-updates-in-window`. */
const LISTENER_UPDATES_IN_WINDOW = explanationType<{
  windowUpdates: EvidenceValue;
  windowSeconds: EvidenceValue;
  upgradesActive: EvidenceValue;
  drainSeconds: EvidenceValue;
}>()(
  'listener-updates-in-window',
  '{windowUpdates} {windowUpdates|listener update|listener updates} in {windowSeconds} with {upgradesActive} {upgradesActive|upgraded connection|upgraded connections} open: each drains its listener and closes the WebSockets on it after {drainSeconds}',
);

/** Explanation `listeners-draining-now`. */
const LISTENERS_DRAINING_NOW = explanationType<{
  listenersDraining: EvidenceValue;
  filterChainsDraining: EvidenceValue;
  drainingInConfig: EvidenceValue;
  upgradesActive: EvidenceValue;
}>()(
  'listeners-draining-now',
  '{listenersDraining} {listenersDraining|listener|listeners} and {filterChainsDraining} {filterChainsDraining|filter chain|filter chains} draining at capture time ({drainingInConfig} {drainingInConfig|listener|listeners} in the config dump), {upgradesActive} {upgradesActive|upgraded connection|upgraded connections} open',
);

/** The drain time proposed: Envoy's own default, ten minutes. */
const PROPOSED_DRAIN_SECONDS = 600;

function num(f: Finding, key: string): number {
  const v = f.evidence[key];
  return typeof v === 'number' ? v : 0;
}

export const rootCause = defineRootCause({
  id: 'listener-drain',
  title: 'Listener drains close upgraded connections',
  message:
    'listener updates drain the listener holding the WebSockets; with no next response to close after, each one is closed when the drain time ends (flag DC, filter_chain_is_being_removed or, for a replaced listener, purging_socket_that_have_not_progressed_to_connections)',
  uses: ['listeners-drained'],
  explanations: [DRAIN_CLOSED_UPGRADES, LISTENER_UPDATES_IN_WINDOW, LISTENERS_DRAINING_NOW],
  verify: [
    {
      scope: 'proxy',
      setting: 'drain time (--drain-time-s, or the EnvoyProxy shutdown drainTimeout) longer than the WebSockets need to reconnect elsewhere',
      expect: 'present',
    },
    { scope: 'listener', setting: 'upgraded sessions closed with filter_chain_is_being_removed in the access log', expect: 'absent' },
  ],
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
      explains.push(explain(DRAIN_CLOSED_UPGRADES, evidenceOf(f, ['logDrainUpgrades', 'logDrainCloses', 'drainSeconds'])));
    }
    if (num(f, 'windowUpdates') > 0 && num(f, 'upgradesActive') > 0) {
      score += 0.25;
      explains.push(explain(LISTENER_UPDATES_IN_WINDOW, evidenceOf(f, ['windowUpdates', 'windowSeconds', 'upgradesActive', 'drainSeconds'])));
    }
    const drainingNow = num(f, 'listenersDraining') + num(f, 'filterChainsDraining') + num(f, 'drainingInConfig');
    if (drainingNow > 0) {
      score += 0.1;
      explains.push(explain(LISTENERS_DRAINING_NOW, evidenceOf(f, ['listenersDraining', 'filterChainsDraining', 'drainingInConfig', 'upgradesActive'])));
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
        changes:
          listeners.length > 0 && num(f, 'drainSeconds') < PROPOSED_DRAIN_SECONDS
            ? [{ kind: 'proxy-drain-time', listener: listeners[0] as string, seconds }]
            : [],
      },
    ];
  },
});
