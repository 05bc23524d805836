// intermediary-idle-timeout: a load balancer, CDN or proxy in front of Envoy or between Envoy and the backend closes
// quiet connections at its own timer, so upgraded sessions (WebSockets) end at that age whatever Envoy's timers are.
// Evidence: a band of DC or UC sessions in the access log that no Envoy timer on the route's way and no known backend
// heartbeat explains (src/analyzers/intermediary-timers.ts), named after the well-known timer it matches
// (src/model/timers.ts: AWS ALB idle_timeout.timeout_seconds 60 s, NLB tcp.idle_timeout.seconds 350 s, Google Cloud
// backend service timeoutSec 30 s, Cloudflare's Proxy Read Timeout 100 s, Azure idleTimeoutInMinutes 4 min, nginx
// proxy_read_timeout 60 s) or to a timer of no table. The lab (lab/scenarios/intermediary-idle-timeout.ts) closed
// quiet WebSockets at a 2 s idle proxy in front of (DC) and behind (UC) Envoy 1.36.2 and 1.40.0, TCP keepalive on
// both sides notwithstanding, and an application heartbeat below the timer kept them all. The fix is outside Envoy:
// a heartbeat below an idle timer (WebSocket ping frames count as bytes to every box; HTTP/2 PING frames do not reset
// an ALB), or the box's own setting above the longest quiet time; a lifetime (Google Cloud) only yields to its
// setting. A box that tracks TCP flows (NLB, Azure) is also kept by TCP keepalive below its timer, which
// missing-tcp-keepalive proposes where Envoy lacks it.

import { explanationType } from '../../model/catalogue-entry.ts';
import { CLUSTER_STATS, HTTP_STATS } from '../../model/envoy-stats.ts';
import type { EntityRef, EvidenceValue, Explanation, Finding } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { type Diagnosed, defineRootCause, explain, evidenceOf, findingsAbout, scoring } from '../root-cause.ts';
import { checksFor } from './stream-idle-timeout.ts';

/** The finding this root cause rests on (src/analyzers/intermediary-timers.ts). */
const AT_INTERMEDIARY_TIMER = 'sessions-end-at-intermediary-timer';
/** What else shows the same closes: the band per agent class (upgraded-sessions), and the close counters of the side. */
const SAME_BAND = 'upgraded-sessions-end-together';
const CLIENT_CLOSES = 'downstream-close-with-active-request';
const ENVOY_CLOSES = 'envoy-close-with-active-request';
const UPSTREAM_CLOSES = 'upstream-close-with-active-request';

type Band = {
  count: EvidenceValue;
  flag: EvidenceValue;
  route: string;
  lowMs: EvidenceValue;
  highMs: EvidenceValue;
  side: EvidenceValue;
  envoyTimers: EvidenceValue;
  nearestEnvoyTimer?: EvidenceValue;
};

/** Explanation: sessions end at a well-known intermediary timer. */
const AT_KNOWN_TIMER = explanationType<Band & { timerName: EvidenceValue }>()(
  'sessions-end-at-known-intermediary-timer',
  '{count} {flag} upgraded {count|session|sessions} on {route} ended at {lowMs}-{highMs}: the {timerName} closed them on the {side} side, not Envoy ({envoyTimers} Envoy {envoyTimers|timer|timers} on the way checked[?, the nearest {nearestEnvoyTimer}])',
);

/** Explanation: sessions end at a timer of no table. */
const AT_UNKNOWN_TIMER = explanationType<Band>()(
  'sessions-end-at-unknown-intermediary-timer',
  '{count} {flag} upgraded {count|session|sessions} on {route} ended at {lowMs}-{highMs}: something on the {side} side (a load balancer, CDN or proxy) closes quiet sessions at about {lowMs}; no Envoy timer on the way is there ({envoyTimers} checked[?, the nearest {nearestEnvoyTimer}])',
);

/** Explanation: every kind of client ended there, so not one client's own timer. */
const EVERY_CLIENT = explanationType<{ agents: EvidenceValue }>()(
  'every-client-class-ends-there',
  "clients of every class ended there ({agents}): a box they all pass through, not one client's own timer",
);

/** Explanation: an idle timer yields to a heartbeat below it, or to its own setting. */
const HEARTBEAT_BELOW = explanationType<{ heartbeatMs: EvidenceValue; timerMs: EvidenceValue; timerSetting?: EvidenceValue }>()(
  'heartbeat-below-intermediary-timer',
  'a heartbeat every {heartbeatMs} (WebSocket ping frames or messages, from either end) keeps quiet sessions past the {timerMs} idle timer[?; or raise {timerSetting} above the longest quiet stretch]',
);

/** Explanation: an HTTP-aware box never sees TCP keepalive. */
const KEEPALIVE_UNSEEN = explanationType<{ timerName: EvidenceValue }>()(
  'intermediary-ignores-tcp-keepalive',
  'the {timerName} proxies requests and frames and counts only their bytes: TCP keepalive probes from Envoy never reach its timer',
);

/** Explanation: a box that tracks TCP flows is kept by keepalive below its timer. */
const KEEPALIVE_KEEPS_FLOW = explanationType<{ timerName: EvidenceValue; timerMs: EvidenceValue; side: EvidenceValue }>()(
  'tcp-keepalive-keeps-intermediary-flow',
  "the {timerName} tracks TCP flows: keepalive probes more often than every {timerMs} on Envoy's {side} side keep its flows too (missing-tcp-keepalive proposes them where Envoy has none)",
);

/** Explanation: a lifetime ends sessions whatever flows. */
const LIFETIME = explanationType<{ timerName: EvidenceValue; timerSetting: EvidenceValue }>()(
  'intermediary-lifetime-ends-sessions',
  'the {timerName} ends a session at that age whatever flows, so no heartbeat helps: raise {timerSetting} above the longest session',
);

/** Why no flavor renders a fix: the timer is not Envoy's. */
const NOT_ENVOY =
  "the timer is the intermediary's, not Envoy's, and no Envoy field moves it: the explanations say what to set, a heartbeat below it in the application or the intermediary's own setting";

/** A heartbeat to propose below an idle timer: half of it, in whole seconds, at least one. */
export function proposedHeartbeatMs(timerMs: number): number {
  return Math.max(1000, Math.floor(timerMs / 2000) * 1000);
}

function num(f: Finding, key: string): number {
  const v = f.evidence[key];
  return typeof v === 'number' ? v : 0;
}

function str(f: Finding, key: string): string | undefined {
  const v = f.evidence[key];
  return typeof v === 'string' ? v : undefined;
}

/** What one band explains, and its score. */
function explained(f: Finding): { explains: Explanation[]; score: number } {
  const band = { ...evidenceOf(f, ['count', 'flag', 'lowMs', 'highMs', 'side', 'envoyTimers', 'nearestEnvoyTimer']), route: f.entity.name } as Band;
  const explains: Explanation[] = [];
  let score = 0.5;
  const timerName = str(f, 'timerName');
  if (timerName !== undefined) {
    score += 0.25;
    explains.push(explain(AT_KNOWN_TIMER, { ...band, timerName }));
  } else explains.push(explain(AT_UNKNOWN_TIMER, band));
  const agents = str(f, 'agents')?.split(',') ?? [];
  if (agents.length >= 2) {
    score += 0.1;
    explains.push(explain(EVERY_CLIENT, { agents: agents.join(',') }));
  }
  if ((f.evidence.share as number | null) !== null && num(f, 'share') >= 0.5) score += 0.05;
  const timerMs = num(f, 'timerMs') || num(f, 'lowMs');
  const setting = f.evidence.timerSetting ?? null;
  if (f.evidence.timerEnds === 'lifetime') explains.push(explain(LIFETIME, { timerName: timerName ?? null, timerSetting: setting }));
  else explains.push(explain(HEARTBEAT_BELOW, { heartbeatMs: proposedHeartbeatMs(timerMs), timerMs, timerSetting: setting }));
  if (f.evidence.timerLayer === 'http') explains.push(explain(KEEPALIVE_UNSEEN, { timerName: timerName ?? null }));
  if (f.evidence.timerLayer === 'tcp') explains.push(explain(KEEPALIVE_KEEPS_FLOW, { timerName: timerName ?? null, timerMs, side: f.evidence.side ?? null }));
  return { explains, score };
}

/**
 * The findings that show the same closes, as supporting evidence: the route's bands of that flag that overlap this one,
 * and on the intermediary's side the closes with a request active (client closes on the connection managers and
 * Envoy's closes of the upstream for a box in front; upstream closes on the cluster for a box behind).
 */
function alongside(f: Finding, findings: Finding[], cluster: string | undefined): Finding[] {
  const lowMs = num(f, 'lowMs');
  const highMs = num(f, 'highMs');
  const bands = findingsAbout(findings, SAME_BAND, 'route', [f.entity.name]).filter(
    (b) => b.evidence.flag === f.evidence.flag && num(b, 'lowMs') <= highMs && num(b, 'highMs') >= lowMs,
  );
  const clusters = cluster !== undefined ? [cluster] : [];
  const closes =
    f.evidence.side === 'downstream'
      ? [
          ...findingsAbout(findings, CLIENT_CLOSES, 'connection-manager', str(f, 'connectionManagers')?.split(',') ?? []),
          ...findingsAbout(findings, ENVOY_CLOSES, 'cluster', clusters),
        ]
      : findingsAbout(findings, UPSTREAM_CLOSES, 'cluster', clusters);
  return [...bands, ...closes];
}

export const rootCause = defineRootCause({
  id: 'intermediary-idle-timeout',
  title: 'A load balancer or proxy outside Envoy ends quiet sessions at its timer',
  message: 'upgraded sessions end at a timer outside Envoy: a load balancer or proxy on the client or backend side closes them',
  uses: [AT_INTERMEDIARY_TIMER, SAME_BAND, CLIENT_CLOSES, ENVOY_CLOSES, UPSTREAM_CLOSES],
  explanations: [AT_KNOWN_TIMER, AT_UNKNOWN_TIMER, EVERY_CLIENT, HEARTBEAT_BELOW, KEEPALIVE_UNSEEN, KEEPALIVE_KEEPS_FLOW, LIFETIME],
  verify: [
    // The lab: each session the intermediary closed counted one of these, on the side it was on.
    { scope: 'connection-manager', stat: HTTP_STATS.cxDestroyRemoteActiveRq, expect: 'stops-growing' },
    { scope: 'cluster', stat: CLUSTER_STATS.cxDestroyRemoteWithActiveRq, expect: 'stops-growing' },
  ],
  noFixFor: {
    envoy: NOT_ENVOY,
    'envoy-gateway': `${NOT_ENVOY}; a cloud load balancer created for the Gateway's Service takes its setting as an annotation in EnvoyProxy spec.provider.kubernetes.envoyService.annotations`,
    istio: `${NOT_ENVOY}; a cloud load balancer created for the ingress gateway's Service takes its setting as an annotation on that Service`,
  },
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    return findings
      .filter((f) => f.code === AT_INTERMEDIARY_TIMER)
      .map((f) => {
        const { explains, score } = explained(f);
        const entities: EntityRef[] = [f.entity];
        const cluster = str(f, 'cluster');
        if (f.evidence.side === 'downstream') {
          for (const name of str(f, 'listeners')?.split(',') ?? []) entities.push({ kind: 'listener', name });
          for (const name of str(f, 'connectionManagers')?.split(',') ?? []) entities.push({ kind: 'connection-manager', name });
        } else if (cluster !== undefined) entities.push({ kind: 'cluster', name: cluster });
        return {
          id: 'intermediary-idle-timeout',
          ...scoring(s, score),
          entities,
          evidence: [f, ...alongside(f, findings, cluster)],
          explains,
          checks: cluster !== undefined ? checksFor(s, [cluster], 'intermediary-idle-timeout') : [],
          changes: [],
        };
      });
  },
});
