import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/intermediary-timers.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { NATURAL, spread } from '../helpers/sessions.ts';
import { fixture, gatewayCluster, gatewayListener, routeConfig } from '../helpers/snapshot.ts';

const C = 'backend';
const R = `${C}/match/0`;
const L = 'home/eg/https';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0';
const HA_IOS = 'Home Assistant/2024.1 (io.robbie.HomeAssistant; build:2024.123; iOS 17.2.0) Mobile/HomeAssistant';

function sessions(durations: number[], flags: string[], ua?: string): AccessLogEntry[] {
  return durations.map((durationMs) => ({
    responseCode: 101,
    responseFlags: flags,
    durationMs,
    routeName: R,
    upstreamCluster: C,
    ...(ua ? { userAgent: ua } : {}),
  }));
}

/** Sessions with a logged start (ms after an epoch of the test's choosing) and duration. */
function timed(list: Array<{ startMs: number; durationMs: number }>, flags: string[]): AccessLogEntry[] {
  return list.map(({ startMs, durationMs }) => ({
    responseCode: 101,
    responseFlags: flags,
    durationMs,
    startTime: new Date(Date.UTC(2026, 11, 7) + startMs),
    routeName: R,
    upstreamCluster: C,
  }));
}

/** The route behind a connection manager at Envoy's defaults, route timeout off, and `routeExtra` on the route. */
function snapshot(entries: AccessLogEntry[], routeExtra: object = {}): Snapshot {
  const s = fixture({
    clusters: [gatewayCluster(C)],
    listeners: [gatewayListener({ routeConfig: 'rc' })],
    routeConfigs: [routeConfig('rc', [C], { timeout: '0s', ...routeExtra })],
  });
  if (entries.length > 0) s.accessLog = { source: 'access.log', entries, skipped: 0 };
  return s;
}

describe('intermediary-timers analyzer', () => {
  const cases: Array<{ name: string; snapshot: Snapshot; want: ExpectedFinding[] }> = [
    { name: 'no access log: nothing', snapshot: snapshot([]), want: [] },
    {
      name: 'the lab, intermediary in front: DC sessions at 2.0 s, a timer of no table, Envoy at its defaults',
      snapshot: snapshot([...sessions(spread(14, 2_001, 1), ['DC']), ...sessions(NATURAL, [])]),
      want: [
        {
          code: 'sessions-end-at-intermediary-timer',
          entity: R,
          severity: 'warning',
          evidence: {
            side: 'downstream',
            flag: 'DC',
            count: 14,
            flagSessions: 14,
            routeSessions: 24,
            share: 1,
            lowMs: 2_001,
            highMs: 2_014,
            agents: 'other',
            envoyTimers: 1,
            nearestEnvoyTimerMs: 300_000,
            cluster: C,
            listeners: L,
          },
        },
      ],
    },
    {
      name: 'the lab, intermediary behind: UC sessions at 2.0 s, the upstream side',
      snapshot: snapshot(sessions(spread(12, 2_000, 1), ['UC'])),
      want: [{ code: 'sessions-end-at-intermediary-timer', entity: R, evidence: { side: 'upstream', flag: 'UC', count: 12, lowMs: 2_000, highMs: 2_011 } }],
    },
    {
      name: 'browsers and the iOS app closed from 60.2 s: an ALB idle timer (nginx ties, the first id wins), HTTP-aware',
      snapshot: snapshot([...sessions(spread(20, 60_200, 300), ['DC'], FIREFOX), ...sessions(spread(10, 60_300, 400), ['DC'], HA_IOS)]),
      want: [
        {
          code: 'sessions-end-at-intermediary-timer',
          entity: R,
          evidence: { count: 30, agents: 'browser,ios', timer: 'aws-alb-idle-timeout', timerMs: 60_000, timerLayer: 'http', timerEnds: 'idle', lowMs: 60_200 },
        },
      ],
    },
    {
      name: 'closed at 30 s on the upstream side: Google Cloud backend service timeout, a lifetime',
      snapshot: snapshot(sessions(spread(15, 30_050, 100), ['UC'])),
      want: [
        { code: 'sessions-end-at-intermediary-timer', entity: R, evidence: { timer: 'gcp-backend-service-timeout', timerEnds: 'lifetime', side: 'upstream' } },
      ],
    },
    {
      name: "the iOS app's own closes at 8-10 s while the browsers' sessions last for hours: that client's timer, nothing",
      snapshot: snapshot([...sessions(spread(40, 8_000, 50), ['DC'], HA_IOS), ...sessions([15_000, 92_000, 147_000, 293_000, 599_000], ['DC'], FIREFOX)]),
      want: [],
    },
    {
      name: 'the same with only four browser sessions outliving it: too few to say, the band stands',
      snapshot: snapshot([...sessions(spread(40, 8_000, 50), ['DC'], HA_IOS), ...sessions([15_000, 92_000, 147_000, 293_000], ['DC'], FIREFOX)]),
      want: [{ code: 'sessions-end-at-intermediary-timer', entity: R, evidence: { agents: 'ios', count: 40 } }],
    },
    {
      name: "a route max_stream_duration at 60 s lands there: Envoy's own timer, nothing",
      snapshot: snapshot(sessions(spread(20, 60_200, 300), ['DC'], FIREFOX), { max_stream_duration: { max_stream_duration: '60s' } }),
      want: [],
    },
    {
      name: 'upstream closes at 83-119 s: the known aiohttp heartbeat of Home Assistant, the backend, nothing',
      snapshot: snapshot(sessions(spread(30, 83_000, 1_250), ['UC'], FIREFOX)),
      want: [],
    },
    { name: 'stream idle timeouts (SI) are Envoy closing: nothing', snapshot: snapshot(sessions(spread(14, 2_001, 1), ['SI'])), want: [] },
    { name: 'closes without a flag (the peer closed the WebSocket cleanly): nothing', snapshot: snapshot(sessions(spread(14, 2_001, 1), [])), want: [] },
    { name: 'fewer than ten sessions in the band: nothing', snapshot: snapshot(sessions(spread(9, 2_001, 1), ['DC'])), want: [] },
    {
      name: 'DC sessions spread over hours, as people close tabs: nothing',
      snapshot: snapshot(sessions([...NATURAL, ...NATURAL.map((d) => d * 3)], ['DC'])),
      want: [],
    },
    {
      name: 'sessions opened every 250 ms and all cut at one moment (a client network drop): their ends do not spread, nothing',
      snapshot: snapshot(
        timed(
          Array.from({ length: 40 }, (_, k) => ({ startMs: k * 250, durationMs: 10_000 - k * 250 })),
          ['DC'],
        ),
      ),
      want: [],
    },
    {
      name: 'the same sessions each closed 2 s after it opened: their ends spread as their starts, a timer',
      snapshot: snapshot(
        timed(
          Array.from({ length: 20 }, (_, k) => ({ startMs: k * 250, durationMs: 2_001 + (k % 5) })),
          ['DC'],
        ),
      ),
      want: [{ code: 'sessions-end-at-intermediary-timer', entity: R, evidence: { count: 20, lowMs: 2_001, highMs: 2_005, endSpreadMs: 4_754 } }],
    },
  ];
  for (const c of cases) it(c.name, () => expectFindings(analyze(c.snapshot), c.want));
  it('a band at a timer of no table names none', () => {
    const [f] = analyze(snapshot(sessions(spread(14, 2_001, 1), ['DC'])));
    assert.deepEqual(
      ['timer', 'timerMs', 'timerName'].filter((k) => k in (f?.evidence ?? {})),
      [],
    );
  });
});
