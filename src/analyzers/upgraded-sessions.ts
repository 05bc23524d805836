// Upgraded sessions (WebSockets) that end together. An upgraded request logs one access-log line when it closes,
// response code 101 and `%DURATION%` the whole session (docs/root/configuration/observability/access_log/usage.rst;
// docs/root/intro/arch_overview/http/upgrades.rst). Grouped by route (`%ROUTE_NAME%`, else `%UPSTREAM_CLUSTER%`),
// response flag (source/common/stream_info/utility.h: UC upstream connection termination, DC downstream
// termination, SI stream idle timeout, DT max duration, ...) and user agent class (`iOS` as in
// source/common/http/user_agent.cc, `android` in any case, browsers by `Mozilla/`), many sessions closing inside a
// narrow band of durations point at a timer; the band is matched against well-known and configured timers
// (src/model/timers.ts), and an upstream-closed band is read as an aiohttp-style heartbeat (aiohttp/web_ws.py: a
// ping `heartbeat` after the last frame received, a close `heartbeat / 2` later).

import type { AccessLog } from '../model/access-log.ts';
import { findingType } from '../model/catalogue-entry.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { AIOHTTP_CLOSE_FACTOR, type Timer } from '../model/timer-table.ts';
import { candidateTimers, matchTimers } from '../model/timers.ts';
import { defineAnalyzer, finding, ratio } from './analyzer.ts';
import { closedByDrain } from './listener-drain.ts';

/** Evidence of a band of upgraded sessions of one route, flag and agent class that end together. */
interface UpgradedSessionsEndTogether {
  count: number;
  flagSessions: number;
  agentSessions: number;
  agentShare: number | null;
  routeSessions: number;
  share: number | null;
  lowMs: number;
  highMs: number;
  medianMs: number;
  flag: string;
  agent: AgentClass;
  cluster?: string;
  timer: string | null;
  timerMs?: number;
  timerOrigin?: Timer['origin'];
  heartbeatMs?: number;
}

/** Upgraded sessions that end together, in a narrow band of durations. */
const UPGRADED_SESSIONS_END_TOGETHER = findingType<UpgradedSessionsEndTogether>()(
  'upgraded-sessions-end-together',
  'Upgraded sessions end together',
  '{count} {count|upgraded session|upgraded sessions} of {agent} clients ended with flag {flag} between {lowMs} and {highMs} (median {medianMs}), {agentShare} of their sessions on the route[?; best-matching timer {timer} ({timerMs})]',
);

/** What this analyzer is and emits: it reads the access log and no stats; the config gives the timers. */
export const meta = defineAnalyzer({
  id: 'upgraded-sessions',
  title: 'Upgraded sessions (WebSockets) that end together',
  reads: ['access-log', 'config'],
  stats: {},
  findings: [UPGRADED_SESSIONS_END_TOGETHER],
});

/** The response code of an upgraded request (101 Switching Protocols). */
const UPGRADE_RESPONSE_CODE = 101;
/** Fewer sessions than this in a band are noise. */
export const MIN_COUNT = 10;
/** A band holds sessions from `lowMs` up to `lowMs * BAND_RATIO`: its width is at most half its lower edge. */
const BAND_RATIO = 1.5;
/** Bands starting below this are failed or instant upgrades, not sessions ended by a timer. */
const MIN_LOW_MS = 1000;
/** A band must hold at least this share of the sessions with its flag and agent class on the route. */
export const MIN_GROUP_SHARE = 0.3;
/** At or above this share of the agent class's upgraded sessions on the route the finding is a warning. */
const WARN_AGENT_SHARE = 0.25;
/** Bands searched per route, flag and agent class. */
const MAX_BANDS = 3;
/** Heartbeats inferred from upstream-closed bands outside this range are not reported. */
const HEARTBEAT_RANGE_MS: readonly [number, number] = [5_000, 600_000];

/** A client class: `ios` (contains `iOS`, Envoy's own rule), `android`, `browser` (`Mozilla/...`), `other`. */
type AgentClass = 'ios' | 'android' | 'browser' | 'other';

/** Agent classes in report order. */
const AGENT_CLASSES: readonly AgentClass[] = ['ios', 'android', 'browser', 'other'];

/** The class of a user agent: `iOS` anywhere (case-sensitive, as Envoy's user_agent.cc), `android` in any case, `Mozilla/` at the start, else other. */
export function agentClass(userAgent: string | undefined): AgentClass {
  if (userAgent === undefined) return 'other';
  if (userAgent.includes('iOS')) return 'ios';
  if (/android/i.test(userAgent)) return 'android';
  if (userAgent.startsWith('Mozilla/')) return 'browser';
  return 'other';
}

/** The flags of an entry as one key: `UC`, `DC,UC` (sorted), `-` for none. */
function flagKey(flags: readonly string[]): string {
  return flags.length === 0 ? '-' : [...flags].sort().join(',');
}

/** One upgraded session from the access log. */
export interface UpgradedSession {
  /** `%ROUTE_NAME%`, else `%UPSTREAM_CLUSTER%`, else `(unknown)`. */
  route: string;
  cluster?: string;
  flag: string;
  agent: AgentClass;
  durationMs: number;
  /** When it started (`%START_TIME%`), in ms since the epoch, when logged. */
  startMs?: number;
}

/**
 * The upgraded sessions (code 101 with a duration) of an access log. Sessions Envoy closed because their filter chain
 * or listener drained (`closedByDrain`) are left out: no timer ended them, and listener-drain accounts for them.
 */
export function upgradedSessions(log: AccessLog): UpgradedSession[] {
  const out: UpgradedSession[] = [];
  for (const e of log.entries) {
    if (e.responseCode !== UPGRADE_RESPONSE_CODE || e.durationMs === undefined) continue;
    if (closedByDrain(e)) continue;
    const session: UpgradedSession = {
      route: e.routeName ?? e.upstreamCluster ?? '(unknown)',
      flag: flagKey(e.responseFlags),
      agent: agentClass(e.userAgent),
      durationMs: e.durationMs,
    };
    if (e.upstreamCluster !== undefined) session.cluster = e.upstreamCluster;
    if (e.startTime !== undefined) session.startMs = e.startTime.getTime();
    out.push(session);
  }
  return out;
}

function median(sorted: readonly number[]): number {
  const mid = (sorted.length - 1) / 2;
  return Math.round(((sorted[Math.floor(mid)] as number) + (sorted[Math.ceil(mid)] as number)) / 2);
}

type Groups = Map<string, Map<string, Map<AgentClass, number[]>>>;

function group(sessions: readonly UpgradedSession[]): Groups {
  const out: Groups = new Map();
  for (const x of sessions) {
    let byFlag = out.get(x.route);
    if (!byFlag) out.set(x.route, (byFlag = new Map()));
    let byAgent = byFlag.get(x.flag);
    if (!byAgent) byFlag.set(x.flag, (byAgent = new Map()));
    const list = byAgent.get(x.agent);
    if (list) list.push(x.durationMs);
    else byAgent.set(x.agent, [x.durationMs]);
  }
  for (const byFlag of out.values()) for (const byAgent of byFlag.values()) for (const list of byAgent.values()) list.sort((a, b) => a - b);
  return out;
}

function* ordered(groups: Groups): Generator<{ route: string; flag: string; agent: AgentClass; durations: number[] }> {
  for (const route of [...groups.keys()].sort()) {
    const byFlag = groups.get(route) as Map<string, Map<AgentClass, number[]>>;
    for (const flag of [...byFlag.keys()].sort()) {
      const byAgent = byFlag.get(flag) as Map<AgentClass, number[]>;
      for (const agent of AGENT_CLASSES) {
        const durations = byAgent.get(agent);
        if (durations) yield { route, flag, agent, durations };
      }
    }
  }
}

/** A band of session durations that end together. */
interface CloseBand {
  count: number;
  lowMs: number;
  highMs: number;
  medianMs: number;
}

/**
 * The densest bands of sorted durations, densest first: the window [low, low * BAND_RATIO] holding the most
 * sessions (low >= MIN_LOW_MS; ties go to the earlier window), then the same on what is left, up to `maxBands`.
 */
export function closeBands(sorted: readonly number[], maxBands = MAX_BANDS): CloseBand[] {
  const out: CloseBand[] = [];
  let rest = [...sorted];
  while (out.length < maxBands && rest.length > 0) {
    let best: [number, number] | undefined;
    let j = 0;
    for (let i = 0; i < rest.length; i++) {
      const low = rest[i] as number;
      if (low < MIN_LOW_MS) continue;
      if (j < i) j = i;
      while (j < rest.length && (rest[j] as number) <= low * BAND_RATIO) j++;
      if (!best || j - i > best[1] - best[0]) best = [i, j];
    }
    if (!best) break;
    const members = rest.slice(best[0], best[1]);
    out.push({ count: members.length, lowMs: members[0] as number, highMs: members[members.length - 1] as number, medianMs: median(members) });
    rest = [...rest.slice(0, best[0]), ...rest.slice(best[1])];
  }
  return out;
}

/** The value met most often (the first met among equals). */
export function mostCommon(values: Iterable<string | undefined>): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | undefined;
  for (const [v, n] of counts) if (best === undefined || n > (counts.get(best) as number)) best = v;
  return best;
}

/** The heartbeat whose aiohttp-style close (1.5 heartbeats after the client last spoke) lands at `lowMs`, in whole seconds. */
export function inferredHeartbeatMs(lowMs: number): number | undefined {
  const ms = Math.round(lowMs / AIOHTTP_CLOSE_FACTOR / 1000) * 1000;
  return ms >= HEARTBEAT_RANGE_MS[0] && ms <= HEARTBEAT_RANGE_MS[1] ? ms : undefined;
}

function severityOf(agentShare: number | null): Severity {
  return agentShare !== null && agentShare >= WARN_AGENT_SHARE ? 'warning' : 'info';
}

/** One finding per band of upgraded sessions that end together, per route, flag and agent class; none without an access log. */
export function analyze(s: Snapshot): Finding[] {
  if (!s.accessLog) return [];
  const sessions = upgradedSessions(s.accessLog);
  if (sessions.length === 0) return [];
  const routeTotals = new Map<string, number>();
  const agentTotals = new Map<string, number>();
  const clusters = new Map<string, Array<string | undefined>>();
  const routeNamed = new Set<string>();
  for (const x of sessions) {
    routeTotals.set(x.route, (routeTotals.get(x.route) ?? 0) + 1);
    agentTotals.set(`${x.route}|${x.agent}`, (agentTotals.get(`${x.route}|${x.agent}`) ?? 0) + 1);
    const list = clusters.get(x.route);
    if (list) list.push(x.cluster);
    else clusters.set(x.route, [x.cluster]);
  }
  for (const e of s.accessLog.entries) if (e.responseCode === UPGRADE_RESPONSE_CODE && e.routeName !== undefined) routeNamed.add(e.routeName);

  const findings: Finding[] = [];
  for (const { route, flag, agent, durations } of ordered(group(sessions))) {
    if (durations.length < MIN_COUNT) continue;
    const routeSessions = routeTotals.get(route) as number;
    const agentSessions = agentTotals.get(`${route}|${agent}`) as number;
    const cluster = mostCommon(clusters.get(route) ?? []);
    const timers = candidateTimers(s, { ...(routeNamed.has(route) ? { route } : {}), ...(cluster !== undefined ? { cluster } : {}) });
    for (const band of closeBands(durations)) {
      if (band.count < MIN_COUNT || band.count / durations.length < MIN_GROUP_SHARE) break;
      const best = matchTimers({ lowMs: band.lowMs, highMs: band.highMs, flag }, timers)[0];
      const heartbeatMs = flag === 'UC' ? (best ? best.timer.heartbeatMs : inferredHeartbeatMs(band.lowMs)) : undefined;
      const agentShare = ratio(band.count, agentSessions);
      findings.push(
        finding(
          s,
          UPGRADED_SESSIONS_END_TOGETHER,
          severityOf(agentShare),
          { kind: 'route', name: route },
          {
            count: band.count,
            flagSessions: durations.length,
            agentSessions,
            agentShare,
            routeSessions,
            share: ratio(band.count, routeSessions),
            lowMs: band.lowMs,
            highMs: band.highMs,
            medianMs: band.medianMs,
            flag,
            agent,
            cluster,
            timer: best ? best.timer.id : null,
            timerMs: best?.timer.ms,
            timerOrigin: best?.timer.origin,
            heartbeatMs,
          },
        ),
      );
    }
  }
  return findings;
}
