// Upgraded sessions (WebSockets) that a box in front of Envoy or behind it ends at its own timer. An upgraded request
// logs one access-log line when it closes, code 101 and `%DURATION%` the whole session
// (docs/root/intro/arch_overview/http/upgrades.rst). When the client side goes away Envoy logs flag DC with details
// `downstream_remote_disconnect` (source/common/http/conn_manager_impl.cc, ConnectionManagerImpl::onEvent on a
// RemoteClose; envoy/stream_info/stream_info.h ResponseCodeDetails); when the upstream connection is closed under
// the session it logs UC with `upstream_reset_after_response_started{connection_termination}`
// (source/common/router/router.cc, Filter::onUpstreamReset). Both measured by lab/scenarios/intermediary-idle-timeout.ts
// on Envoy 1.36.2 and 1.40.0. A load balancer or proxy in between with an idle timer (AWS ALB 60 s, Cloudflare 100 s,
// nginx 60 s, ...) or a lifetime (Google Cloud backend service 30 s) closes quiet sessions at that age, so many DC or
// UC sessions of a route end in one narrow band of durations. Such a band is this analyzer's finding when no Envoy
// timer on the route's way (src/model/timers.ts configuredTimers: route timeout, idle_timeout, max_stream_duration,
// the connection manager's stream_idle_timeout, the cluster's) and no known backend heartbeat lands there; the band
// names the well-known intermediary timer it matches, or none when the timer is not one of the table's. Sessions of
// every client class are grouped together: a box in between ends them all, where a client's own timer ends only its
// own. When a band holds a good share (MIN_GROUP_SHARE) of some classes' sessions while a handful (MIN_SPARED) of
// another class's sessions with the same flag on the route outlived it, whatever ended the first did not end the
// others: those clients' own timer, not a box's (the iOS app's closes at 8-10 s of
// samples/home-assistant-websocket-drops, while the Android app's sessions lasted 15 s to 10 min). Nor is a band a timer's when its sessions all ended at once
// (a client network that dropped, a restart): sessions opened one after another and cut together have durations
// spread as widely as their starts, while a timer ends each at the same age, at moments as spread as their starts.
// Where `%START_TIME%` is logged, a band whose sessions' ends spread no wider than their durations is left out.

import { findingType } from '../model/catalogue-entry.ts';
import type { Finding } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import type { Timer } from '../model/timer-table.ts';
import { candidateTimers, matchTimers } from '../model/timers.ts';
import { managersForRouteConfig, routeByName } from '../model/topology.ts';
import { defineAnalyzer, finding, ratio } from './analyzer.ts';
import { closeBands, MIN_COUNT, MIN_GROUP_SHARE, mostCommon, type UpgradedSession, upgradedSessions } from './upgraded-sessions.ts';

/** Who closed the sessions of a band, from Envoy's side: the client side (DC) or the upstream side (UC). */
type Side = 'downstream' | 'upstream';

/** The side each response flag names. */
const SIDES: Readonly<Record<string, Side>> = { DC: 'downstream', UC: 'upstream' };

/** Evidence of upgraded sessions ended together by a timer outside Envoy. */
interface SessionsEndAtIntermediaryTimer {
  side: Side;
  flag: string;
  count: number;
  /** Sessions of the route that ended with this flag. */
  flagSessions: number;
  routeSessions: number;
  share: number | null;
  lowMs: number;
  highMs: number;
  medianMs: number;
  /** The client classes in the band (upgraded-sessions' agent classes), comma-joined. */
  agents: string;
  /** How far apart the band's sessions ended (start + duration), when their starts are logged. */
  endSpreadMs?: number;
  /** The well-known intermediary timer the band matches, when one does (src/model/timers.ts). */
  timer?: string;
  timerName?: string;
  timerMs?: number;
  /** `http` or `tcp` (what the box sees), and whether it is an idle timer or a lifetime. */
  timerLayer?: string;
  timerEnds?: string;
  /** The box's own setting for it. */
  timerSetting?: string;
  /** Envoy timers on the route's way that were checked, none of them within tolerance of the band. */
  envoyTimers: number;
  /** The nearest of them. */
  nearestEnvoyTimer?: string;
  nearestEnvoyTimerMs?: number;
  cluster?: string;
  /** The listeners serving the route, and their connection managers' stat prefixes, comma-joined. */
  listeners?: string;
  connectionManagers?: string;
}

/** Upgraded sessions that end together at a timer that is none of Envoy's. */
const SESSIONS_END_AT_INTERMEDIARY_TIMER = findingType<SessionsEndAtIntermediaryTimer>()(
  'sessions-end-at-intermediary-timer',
  'Upgraded sessions end at a timer outside Envoy',
  '{count} of {flagSessions} {flag} upgraded {flagSessions|session|sessions} ended at {lowMs}-{highMs}, closed on the {side} side[? at the {timerName}]: no Envoy timer on the way explains it ({envoyTimers} checked)',
);

export const meta = defineAnalyzer({
  id: 'intermediary-timers',
  title: 'Upgraded sessions ended by a timer outside Envoy',
  reads: ['access-log', 'config'],
  stats: {},
  findings: [SESSIONS_END_AT_INTERMEDIARY_TIMER],
});

/** Sessions of a route by the flag of a side, durations sorted. */
function bySide(sessions: readonly UpgradedSession[]): Map<string, Map<string, UpgradedSession[]>> {
  const out = new Map<string, Map<string, UpgradedSession[]>>();
  for (const x of sessions) {
    if (SIDES[x.flag] === undefined) continue;
    let byFlag = out.get(x.route);
    if (!byFlag) out.set(x.route, (byFlag = new Map()));
    const list = byFlag.get(x.flag);
    if (list) list.push(x);
    else byFlag.set(x.flag, [x]);
  }
  for (const byFlag of out.values()) for (const list of byFlag.values()) list.sort((a, b) => a.durationMs - b.durationMs);
  return out;
}

/** The Envoy timer nearest a band's lower edge (by distance), for the evidence. */
function nearest(timers: readonly Timer[], lowMs: number): Timer | undefined {
  return [...timers].sort((a, b) => Math.abs(a.ms - lowMs) - Math.abs(b.ms - lowMs) || a.id.localeCompare(b.id))[0];
}

/** Sessions of another client class that outlived a band, enough to say the band's timer did not end them. */
const MIN_SPARED = 5;

/**
 * The agent classes a band holds a good share of (their sessions with the flag on the route), and whether another
 * class has at least MIN_SPARED such sessions that outlived the band.
 */
function classesOf(list: readonly UpgradedSession[], members: readonly UpgradedSession[], highMs: number): { agents: Set<string>; spared: boolean } {
  const all = new Map<string, number>();
  const inBand = new Map<string, number>();
  const outlived = new Map<string, number>();
  for (const x of list) {
    all.set(x.agent, (all.get(x.agent) ?? 0) + 1);
    if (x.durationMs > highMs) outlived.set(x.agent, (outlived.get(x.agent) ?? 0) + 1);
  }
  for (const x of members) inBand.set(x.agent, (inBand.get(x.agent) ?? 0) + 1);
  const agents = new Set([...all].filter(([a, n]) => (inBand.get(a) ?? 0) / n >= MIN_GROUP_SHARE).map(([a]) => a));
  const spared = [...outlived].some(([a, n]) => !agents.has(a) && n >= MIN_SPARED);
  return { agents, spared };
}

/** How far apart the sessions ended, from those whose start is logged (undefined when fewer than half are). */
function endSpread(members: readonly UpgradedSession[]): number | undefined {
  const ends = members.flatMap((x) => (x.startMs !== undefined ? [x.startMs + x.durationMs] : []));
  if (ends.length === 0 || ends.length < members.length / 2) return undefined;
  return Math.max(...ends) - Math.min(...ends);
}

/** One finding per band of DC or UC upgraded sessions of a route that no Envoy timer or backend heartbeat explains. */
export function analyze(s: Snapshot): Finding[] {
  if (!s.accessLog) return [];
  const sessions = upgradedSessions(s.accessLog);
  const routeTotals = new Map<string, number>();
  for (const x of sessions) routeTotals.set(x.route, (routeTotals.get(x.route) ?? 0) + 1);
  const findings: Finding[] = [];
  for (const [route, byFlag] of [...bySide(sessions)].sort((a, b) => a[0].localeCompare(b[0]))) {
    const known = routeByName(s, route);
    for (const [flag, list] of [...byFlag].sort((a, b) => a[0].localeCompare(b[0]))) {
      if (list.length < MIN_COUNT) continue;
      const cluster = mostCommon(list.map((x) => x.cluster));
      const timers = candidateTimers(s, { ...(known ? { route } : {}), ...(cluster !== undefined ? { cluster } : {}) });
      // Envoy's own timers that can end an open session (idle-only ones cannot), for the evidence.
      const envoy = timers.filter((t) => t.owner === 'envoy' && !t.idleOnly && t.ms > 0);
      const durations = list.map((x) => x.durationMs);
      for (const band of closeBands(durations)) {
        if (band.count < MIN_COUNT || band.count / list.length < MIN_GROUP_SHARE) break;
        const matches = matchTimers({ lowMs: band.lowMs, highMs: band.highMs, flag }, timers);
        // Envoy's own timer or a known backend heartbeat explains it: not an intermediary's.
        if (matches.some((m) => m.timer.owner !== 'middlebox')) continue;
        const box = matches[0]?.timer;
        const members = list.filter((x) => x.durationMs >= band.lowMs && x.durationMs <= band.highMs);
        const { agents, spared } = classesOf(list, members, band.highMs);
        // Some clients' sessions end there and another's, as many, do not: those clients' own timer.
        if (spared) continue;
        // Ended together rather than each at one age: not a timer.
        const spread = endSpread(members);
        if (spread !== undefined && spread <= band.highMs - band.lowMs) continue;
        const near = nearest(envoy, band.lowMs);
        const managers = known ? managersForRouteConfig(s, known.routeConfigName) : [];
        const listeners = [...new Set(managers.map((m) => m.listener.name))];
        const prefixes = [...new Set(managers.map((m) => m.connectionManager.statPrefix))];
        findings.push(
          finding(
            s,
            SESSIONS_END_AT_INTERMEDIARY_TIMER,
            'warning',
            { kind: 'route', name: route },
            {
              side: SIDES[flag] as Side,
              flag,
              count: band.count,
              flagSessions: list.length,
              routeSessions: routeTotals.get(route) as number,
              share: ratio(band.count, list.length),
              lowMs: band.lowMs,
              highMs: band.highMs,
              medianMs: band.medianMs,
              agents: [...agents].sort().join(','),
              endSpreadMs: spread,
              timer: box?.id,
              timerName: box?.name,
              timerMs: box?.ms,
              timerLayer: box?.layer,
              timerEnds: box?.ends,
              timerSetting: box?.setting,
              envoyTimers: envoy.length,
              nearestEnvoyTimer: near?.name,
              nearestEnvoyTimerMs: near?.ms,
              cluster,
              listeners: listeners.length > 0 ? listeners.join(',') : undefined,
              connectionManagers: prefixes.length > 0 ? prefixes.join(',') : undefined,
            },
          ),
        );
      }
    }
  }
  return findings;
}
