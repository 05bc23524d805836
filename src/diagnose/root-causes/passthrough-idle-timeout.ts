// passthrough-idle-timeout: TCP tunnels (TLS passthrough or TCP routes) end on the TCP proxy's `idle_timeout`
// (api/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto, default 1 h), or die quietly in load
// balancers and NAT when no TCP keepalive crosses them. Envoy cannot inject pings into an encrypted passthrough
// stream, so the fix is a longer idle timeout plus keepalive on both sides. Evidence, strongest first: idle
// timeouts during the window or tunnels logged at the idle timeout, idle timeouts as a total, tunnels logged at a
// known load balancer idle timer without keepalive. Missing keepalive names a root cause only where the tunnels are
// known to last (logged for a minute or more, or the cluster's upstream_cx_length_ms histogram): the configuration
// alone is a finding at most.

import { explanationType } from '../../model/catalogue-entry.ts';
import type { EvidenceValue, Explanation, Finding, FixChange } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { PROPOSED_KEEPALIVE } from './missing-tcp-keepalive.ts';
import { type Diagnosed, defineRootCause, explain, evidenceOf, HIGH_IS_ERROR, scoring } from '../root-cause.ts';

/** Explanation `tunnels-closed-idle`. */
const TUNNELS_CLOSED_IDLE = explanationType<{
  idleTimeouts: EvidenceValue;
  statPrefix: EvidenceValue;
  idleTimeoutMs: EvidenceValue;
  windowIdleTimeouts: EvidenceValue;
  windowSeconds: EvidenceValue;
  logAtIdleTimeout: EvidenceValue;
}>()(
  'tunnels-closed-idle',
  "{idleTimeouts} {idleTimeouts|tunnel|tunnels} on {statPrefix} {idleTimeouts|was|were} closed by the TCP proxy idle timeout ({idleTimeoutMs}; {windowIdleTimeouts} in {windowSeconds}, {logAtIdleTimeout} logged at that duration): only the application's own bytes keep open a tunnel Envoy only forwards",
);

/** Explanation `tunnels-without-keepalive`. */
const TUNNELS_WITHOUT_KEEPALIVE = explanationType<{ listenerKeepalive: EvidenceValue; clusterKeepalive: EvidenceValue }>()(
  'tunnels-without-keepalive',
  'no TCP keepalive on the listener ({listenerKeepalive}) or towards the backend ({clusterKeepalive}): load balancers and NAT drop quiet tunnels silently',
);

/** Explanation `tunnels-end-at-middlebox-timer`. */
const TUNNELS_END_AT_MIDDLEBOX_TIMER = explanationType<{ logAtMiddleboxTimer: EvidenceValue; middleboxTimer: EvidenceValue }>()(
  'tunnels-end-at-middlebox-timer',
  '{logAtMiddleboxTimer} {logAtMiddleboxTimer|logged tunnel|logged tunnels} ended at {middleboxTimer}: a load balancer or NAT in between dropped them when they went quiet',
);

/** Explanation `tunnels-last-long`. */
const TUNNELS_LAST_LONG = explanationType<{ logLongLived: EvidenceValue; longLivedShare?: EvidenceValue }>()(
  'tunnels-last-long',
  "{logLongLived} logged {logLongLived|tunnel|tunnels} lasted a minute or more[?, and {longLivedShare} of the cluster's connections did]: the tunnels carry long-lived traffic with quiet stretches",
);

/** The TCP proxy's own default idle timeout, the least a fix proposes. */
const ONE_HOUR_MS = 3_600_000;

function num(f: Finding, key: string): number {
  const v = f.evidence[key];
  return typeof v === 'number' ? v : 0;
}

/** Tunnels known to have carried long-lived traffic: logged for a minute or more, or so by the connection length histogram. */
function longLived(f: Finding): boolean {
  return num(f, 'logLongLived') > 0 || num(f, 'longLivedShare') > 0;
}

/** Evidence beyond the configuration: tunnels ended by the idle timeout or a middlebox timer, or known to last without keepalive. */
function lastedOrEnded(f: Finding): boolean {
  if (num(f, 'idleTimeouts') > 0 || num(f, 'logAtIdleTimeout') > 0) return true;
  const noKeepalive = f.evidence.listenerKeepalive !== true || f.evidence.clusterKeepalive === false;
  return noKeepalive && (num(f, 'logAtMiddleboxTimer') > 0 || longLived(f));
}

/** An idle timeout to propose: twice the current one, and at least an hour. */
export function proposedIdleTimeout(currentMs: number): number {
  return Math.max(ONE_HOUR_MS, currentMs * 2);
}

export const rootCause = defineRootCause({
  id: 'passthrough-idle-timeout',
  title: 'TCP tunnels end on the idle timeout',
  message:
    'quiet TCP tunnels (TLS passthrough or plain TCP routes) end on the TCP proxy idle timeout, or silently in load balancers and NAT when no TCP keepalive crosses them; Envoy cannot ping inside a stream it only forwards',
  uses: ['tunnel-idle-timeouts'],
  explanations: [TUNNELS_CLOSED_IDLE, TUNNELS_WITHOUT_KEEPALIVE, TUNNELS_END_AT_MIDDLEBOX_TIMER, TUNNELS_LAST_LONG],
  verify: [
    { scope: 'listener', setting: 'tcp_proxy idle_timeout longer than the tunnels stay quiet (or 0s with keepalive)', expect: 'present' },
    { scope: 'listener', setting: 'socket_options SO_KEEPALIVE (level 1, name 9, value 1)', expect: 'present' },
    { scope: 'cluster', setting: 'upstream_connection_options.tcp_keepalive', expect: 'present' },
  ],
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    return findings
      .filter((f) => f.code === 'tunnel-idle-timeouts' && lastedOrEnded(f))
      .map((f) => {
        const explains: Explanation[] = [];
        const changes: FixChange[] = [];
        let score = 0.3;
        const idle = num(f, 'idleTimeouts');
        const statPrefix = String(f.evidence.statPrefix);
        if (idle > 0 || num(f, 'logAtIdleTimeout') > 0) {
          score = 0.55 + (num(f, 'windowIdleTimeouts') > 0 ? 0.2 : 0) + (num(f, 'logAtIdleTimeout') > 0 ? 0.15 : 0);
          explains.push(
            explain(
              TUNNELS_CLOSED_IDLE,
              evidenceOf(f, ['idleTimeouts', 'statPrefix', 'idleTimeoutMs', 'windowIdleTimeouts', 'windowSeconds', 'logAtIdleTimeout']),
            ),
          );
          changes.push({ kind: 'tcp-proxy-idle-timeout', listener: f.entity.name, statPrefix, ms: proposedIdleTimeout(num(f, 'idleTimeoutMs')) });
        }
        const listenerKeepalive = f.evidence.listenerKeepalive === true;
        const clusterKeepalive = f.evidence.clusterKeepalive !== false;
        if (!listenerKeepalive || !clusterKeepalive) {
          explains.push(explain(TUNNELS_WITHOUT_KEEPALIVE, evidenceOf(f, ['listenerKeepalive', 'clusterKeepalive'])));
          if (num(f, 'logAtMiddleboxTimer') > 0) {
            score += 0.3;
            explains.push(explain(TUNNELS_END_AT_MIDDLEBOX_TIMER, evidenceOf(f, ['logAtMiddleboxTimer', 'middleboxTimer'])));
          } else if (changes.length === 0 && longLived(f)) {
            // Nothing closed them: that they last is what makes the missing keepalive matter.
            score += 0.2;
            explains.push(explain(TUNNELS_LAST_LONG, evidenceOf(f, ['logLongLived', 'longLivedShare'])));
          }
          if (!listenerKeepalive) changes.push({ kind: 'listener-tcp-keepalive', listener: f.entity.name, ...PROPOSED_KEEPALIVE });
          if (!clusterKeepalive && typeof f.evidence.cluster === 'string')
            changes.push({ kind: 'cluster-tcp-keepalive', cluster: f.evidence.cluster, ...PROPOSED_KEEPALIVE });
        }
        const entities: Diagnosed['entities'] = [f.entity];
        if (typeof f.evidence.cluster === 'string') entities.push({ kind: 'cluster', name: f.evidence.cluster });
        return {
          id: 'passthrough-idle-timeout',
          ...scoring(s, score, (c) => (f.severity === 'info' ? 'info' : HIGH_IS_ERROR(c))),
          entities,
          evidence: [f],
          explains,
          checks: [],
          changes,
        };
      });
  },
});
