import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentClass, analyze, closeBands, inferredHeartbeatMs, upgradedSessions } from '../../src/analyzers/upgraded-sessions.ts';
import type { AccessLog, AccessLogEntry } from '../../src/model/access-log.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { WELL_KNOWN_TIMERS } from '../../src/model/timer-table.ts';
import { candidateTimers, configuredTimers, matchTimers } from '../../src/model/timers.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { NATURAL, spread } from '../helpers/sessions.ts';
import { fixture, gatewayCluster, gatewayListener, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/home-assistant-app/rule/0';
const R = `${C}/match/0`;
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0';
const HA_IOS = 'Home Assistant/2024.1 (io.robbie.HomeAssistant; build:2024.123; iOS 17.2.0) Mobile/HomeAssistant';
const HA_ANDROID = 'Home Assistant/2024.1.0-12345 (Android 14; Pixel 8)';

function sessions(durations: number[], opts: { ua?: string; flags?: string[]; route?: string; cluster?: string; code?: number }): AccessLogEntry[] {
  return durations.map((durationMs) => {
    const e: AccessLogEntry = { responseCode: opts.code ?? 101, responseFlags: opts.flags ?? [], durationMs };
    if (opts.ua !== undefined) e.userAgent = opts.ua;
    if (opts.route !== undefined) e.routeName = opts.route;
    if (opts.cluster !== undefined) e.upstreamCluster = opts.cluster;
    return e;
  });
}

function withLog(s: Snapshot, entries: AccessLogEntry[]): Snapshot {
  const log: AccessLog = { source: 'access.log', entries, skipped: 0 };
  s.accessLog = log;
  return s;
}

/** The incident: browsers closed by the upstream at 83-119 s, the iOS app giving up at 8-10 s. */
const INCIDENT: AccessLogEntry[] = [
  ...sessions(spread(30, 83_000, 1_250), { ua: FIREFOX, flags: ['UC'], route: R, cluster: C }),
  ...sessions(NATURAL, { ua: FIREFOX, flags: ['DC'], route: R, cluster: C }),
  ...sessions(spread(40, 8_000, 50), { ua: HA_IOS, flags: ['DC'], route: R, cluster: C }),
  ...sessions([1_000, 60_000, 700_000, 2_000_000, 7_000_000], { ua: HA_IOS, route: R, cluster: C }),
];

/** A config where the route serves C behind a connection manager with stream_idle_timeout 60 s. */
function configured(): Snapshot {
  const listener = gatewayListener({ routeConfig: 'home/eg/https' }) as { filter_chains: Array<{ filters: Array<{ typed_config: Record<string, unknown> }> }> };
  const hcm = listener.filter_chains[0]?.filters[0]?.typed_config;
  if (hcm) hcm.stream_idle_timeout = '60s';
  return fixture({ clusters: [gatewayCluster(C)], listeners: [listener], routeConfigs: [routeConfig('home/eg/https', [C])] });
}

describe('upgraded-sessions analyzer', () => {
  const cases: Array<{ name: string; snapshot?: () => Snapshot; entries: AccessLogEntry[]; want: ExpectedFinding[] }> = [
    {
      name: 'no access log: nothing',
      entries: [],
      want: [],
    },
    {
      name: 'the incident: iOS DC at 8-10 s, browsers UC at 83-119 s behind an aiohttp heartbeat of 55 s',
      entries: INCIDENT,
      want: [
        {
          code: 'upgraded-sessions-end-together',
          entity: R,
          severity: 'warning',
          evidence: {
            count: 40,
            flagSessions: 40,
            agentSessions: 45,
            agentShare: 0.8889,
            routeSessions: 85,
            share: 0.4706,
            lowMs: 8_000,
            highMs: 9_950,
            medianMs: 8_975,
            flag: 'DC',
            agent: 'ios',
            cluster: C,
            timer: null,
          },
        },
        {
          code: 'upgraded-sessions-end-together',
          entity: R,
          severity: 'warning',
          evidence: {
            count: 30,
            flagSessions: 30,
            agentSessions: 40,
            agentShare: 0.75,
            routeSessions: 85,
            share: 0.3529,
            lowMs: 83_000,
            highMs: 119_250,
            medianMs: 101_125,
            flag: 'UC',
            agent: 'browser',
            timer: 'aiohttp-heartbeat-home-assistant',
            timerMs: 82_500,
            timerOrigin: 'well-known',
            heartbeatMs: 55_000,
          },
        },
      ],
    },
    {
      name: 'fewer than 10 sessions in a band: nothing',
      entries: sessions(spread(9, 83_000, 1_000), { ua: FIREFOX, flags: ['UC'], route: R }),
      want: [],
    },
    {
      name: 'durations spread over hours: nothing',
      entries: [
        ...sessions(NATURAL, { ua: FIREFOX, flags: ['DC'], route: R }),
        ...sessions(
          NATURAL.map((d) => d + 500),
          { ua: FIREFOX, flags: ['DC'], route: R },
        ),
      ],
      want: [],
    },
    {
      name: 'requests other than upgrades are ignored',
      entries: sessions(spread(20, 15_000, 10), { ua: FIREFOX, flags: ['UT'], route: R, code: 504 }),
      want: [],
    },
    {
      name: 'a band under a third of its group is not reported',
      entries: sessions([...spread(10, 30_000, 100), ...spread(12, 200, 10), ...NATURAL, ...NATURAL.map((d) => d * 3)], {
        ua: HA_ANDROID,
        flags: ['UC'],
        route: R,
      }),
      want: [],
    },
    {
      name: 'an upstream-closed band without a known timer: the heartbeat is inferred from its lower edge',
      entries: sessions(spread(20, 45_000, 500), { ua: HA_ANDROID, flags: ['UC'], route: R }),
      want: [
        {
          code: 'upgraded-sessions-end-together',
          entity: R,
          severity: 'warning',
          evidence: { agent: 'android', lowMs: 45_000, highMs: 54_500, timer: null, heartbeatMs: 30_000 },
        },
      ],
    },
    {
      name: 'a small share of the agent class is info; no route name: the upstream cluster names the route',
      entries: [
        ...sessions(spread(12, 30_000, 100), { ua: FIREFOX, cluster: C }),
        ...sessions(
          [1, 3, 7, 11].flatMap((m) => NATURAL.map((d) => d * m)),
          { ua: FIREFOX, flags: ['DC'], cluster: C },
        ),
        ...sessions(spread(20, 20_000, 10), { ua: FIREFOX, flags: ['DC'], cluster: C, code: 200 }),
      ],
      want: [
        {
          code: 'upgraded-sessions-end-together',
          entity: C,
          severity: 'info',
          evidence: { count: 12, agentSessions: 52, agentShare: 0.2308, flag: '-', cluster: C, timer: null },
        },
      ],
    },
    {
      name: 'with a config: the configured stream_idle_timeout (SI) and the default route timeout (UT) are matched',
      snapshot: configured,
      entries: [
        ...sessions(spread(15, 60_000, 20), { ua: FIREFOX, flags: ['SI'], route: R, cluster: C }),
        ...sessions(spread(15, 15_000, 20), { ua: 'curl/8.7.1', flags: ['UT'], route: R, cluster: C }),
      ],
      want: [
        {
          code: 'upgraded-sessions-end-together',
          entity: R,
          evidence: { flag: 'SI', agent: 'browser', timer: 'stream-idle-timeout', timerMs: 60_000, timerOrigin: 'explicit' },
        },
        {
          code: 'upgraded-sessions-end-together',
          entity: R,
          evidence: { flag: 'UT', agent: 'other', timer: 'route-timeout', timerMs: 15_000, timerOrigin: 'envoy-default' },
        },
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = (c.snapshot ?? (() => fixture({})))();
      if (c.entries.length > 0) withLog(s, c.entries);
      const got = analyze(s);
      expectFindings(got, c.want);
      for (const f of got) assert.equal(f.entity.kind, 'route');
    });
  }

  it('agent classes', () => {
    const agents: Array<[string | undefined, string]> = [
      [HA_IOS, 'ios'],
      ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1', 'browser'],
      [HA_ANDROID, 'android'],
      ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36', 'android'],
      [FIREFOX, 'browser'],
      ['curl/8.7.1', 'other'],
      [undefined, 'other'],
    ];
    for (const [ua, want] of agents) assert.equal(agentClass(ua), want, String(ua));
  });

  it('close bands: densest window of ratio 1.5 first, then what is left', () => {
    assert.deepEqual(closeBands([500, 800, 1000, 1100, 1400, 1600, 5000], 2), [
      { count: 3, lowMs: 1000, highMs: 1400, medianMs: 1100 },
      { count: 1, lowMs: 1600, highMs: 1600, medianMs: 1600 },
    ]);
    assert.deepEqual(closeBands([10, 200, 999]), []);
  });

  it('inferred heartbeats: 1.5 heartbeats to the lower edge, whole seconds, within 5 s to 10 min', () => {
    const cases: Array<[number, number | undefined]> = [
      [83_000, 55_000],
      [82_500, 55_000],
      [45_000, 30_000],
      [6_000, undefined],
      [1_200_000, undefined],
    ];
    for (const [low, want] of cases) assert.equal(inferredHeartbeatMs(low), want, String(low));
  });
});

describe('timers', () => {
  const ids = (band: Parameters<typeof matchTimers>[0]) => matchTimers(band).map((m) => m.timer.id);
  const cases: Array<{ name: string; band: Parameters<typeof matchTimers>[0]; want: string[] }> = [
    {
      name: 'upstream closes from 83 s: aiohttp heartbeat=55 (Home Assistant)',
      band: { lowMs: 83_000, highMs: 120_000, flag: 'UC' },
      want: ['aiohttp-heartbeat-home-assistant'],
    },
    { name: 'client closes from 100.5 s: Cloudflare', band: { lowMs: 100_500, highMs: 130_000, flag: 'DC' }, want: ['cloudflare-proxy-read-timeout'] },
    {
      name: 'client closes from 60.2 s: ALB and nginx, equally near',
      band: { lowMs: 60_200, highMs: 70_000, flag: 'DC' },
      want: ['aws-alb-idle-timeout', 'nginx-proxy-read-timeout'],
    },
    { name: 'SI from 300.1 s: Envoy stream_idle_timeout', band: { lowMs: 300_100, highMs: 310_000, flag: 'SI' }, want: ['envoy-stream-idle-timeout'] },
    { name: 'UC at 300 s is not Envoy stream_idle_timeout (that logs SI)', band: { lowMs: 300_100, highMs: 310_000, flag: 'UC' }, want: [] },
    {
      name: "the connection idle_timeout never ends an open session; tcp_proxy's does",
      band: { lowMs: 3_600_000, highMs: 3_700_000 },
      want: ['envoy-tcp-proxy-idle-timeout'],
    },
    { name: 'a timer above the band does not explain it', band: { lowMs: 20_000, highMs: 24_000, flag: 'DC' }, want: [] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(ids(c.band), c.want));

  it('every well-known timer has a source and a unique id', () => {
    assert.equal(new Set(WELL_KNOWN_TIMERS.map((t) => t.id)).size, WELL_KNOWN_TIMERS.length);
    for (const t of WELL_KNOWN_TIMERS) assert.ok(t.source.length > 10, t.id);
  });

  it("configured timers of a route: its timeout, the connection manager's and the cluster's", () => {
    const s = configured();
    assert.deepEqual(
      configuredTimers(s, { route: R }).map((t) => [t.id, t.ms, t.origin, t.idleOnly]),
      [
        ['route-timeout', 15_000, 'envoy-default', false],
        ['stream-idle-timeout', 60_000, 'explicit', false],
        ['hcm-idle-timeout', 3_600_000, 'envoy-default', true],
        ['cluster-idle-timeout', 3_600_000, 'envoy-default', true],
      ],
    );
    assert.deepEqual(configuredTimers(s, { route: 'no-such-route' }), []);
    const candidates = candidateTimers(s, { route: R });
    assert.equal(
      candidates.some((t) => t.id === 'envoy-stream-idle-timeout'),
      false,
      "Envoy's defaults give way to the config",
    );
    assert.equal(
      candidates.some((t) => t.id === 'aiohttp-heartbeat-home-assistant'),
      true,
    );
    assert.equal(
      candidateTimers(fixture({}), { route: R }).some((t) => t.id === 'envoy-stream-idle-timeout'),
      true,
    );
  });
});

describe('upgraded sessions closed by a listener drain', () => {
  it('are left out of the bands: no timer ended them', () => {
    const drained = {
      responseCode: 101,
      responseFlags: ['DC'],
      responseCodeDetails: 'downstream_local_disconnect(filter_chain_is_being_removed)',
      durationMs: 61_000,
      routeName: 'r',
    };
    // A whole listener replaced: what the drain leaves is closed as the old listener goes (Envoy 1.36.2, 1.40.0).
    const replaced = { ...drained, responseCodeDetails: 'downstream_local_disconnect(purging_socket_that_have_not_progressed_to_connections)' };
    const timed = { responseCode: 101, responseFlags: ['UC'], durationMs: 83_000, routeName: 'r' };
    const sessions = upgradedSessions({ source: 'access.log', entries: [drained, replaced, timed], skipped: 0 });
    assert.deepEqual(
      sessions.map((x) => `${x.flag} ${x.durationMs}`),
      ['UC 83000'],
    );
  });
});
