import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/stream-route-timeouts.ts';
import { rootCause } from '../../src/diagnose/root-causes/route-timeout-on-stream.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import type { Diagnosed } from '../../src/model/finding.ts';
import { clusterStats, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/web/events/rule/0';
const R = `${C}/match/0`;
const P = 'https-10443';
const zeroes = {
  ...clusterStats(C, { upstream_cx_max_duration_reached: 0, upstream_rq_max_duration_reached: 0 }),
  ...httpStats(P, {
    downstream_rq_idle_timeout: 0,
    downstream_cx_max_duration_reached: 0,
    downstream_rq_max_duration_reached: 0,
    downstream_cx_upgrades_total: 0,
  }),
};
const counters = (timeouts: number, r504: number) => ({
  ...zeroes,
  ...clusterStats(C, { upstream_rq_timeout: timeouts, upstream_rq_504: r504, upstream_rq_2xx: 900 + timeouts }),
});
const cut = (n: number, durationMs: number): AccessLogEntry[] =>
  Array.from({ length: n }, (_, i) => ({
    responseCode: 200,
    responseFlags: ['UT'],
    durationMs: durationMs + i,
    routeName: R,
    upstreamCluster: C,
    contentType: 'text/event-stream',
  }));

interface Case {
  name: string;
  routeExtra?: object;
  stats?: [number, number];
  statsLater?: [number, number];
  log?: AccessLogEntry[];
  want?: { score: number; confidence: string; explains: string[] };
}

function diagnose(c: Case): Diagnosed[] {
  const s = fixture({
    clusters: [gatewayCluster(C)],
    listeners: [gatewayListener()],
    routeConfigs: [routeConfig('home/eg/https', [C], c.routeExtra ?? { timeout: '15s' })],
    ...(c.stats ? { stats: counters(...c.stats) } : {}),
    ...(c.statsLater ? { statsLater: counters(...c.statsLater), intervalSeconds: 30 } : {}),
  });
  if (c.log) s.accessLog = { source: 'access.log', entries: c.log, skipped: 0 };
  return rootCause.diagnose(s, analyze(s));
}

describe('route-timeout-on-stream root cause', () => {
  const cases: Case[] = [
    {
      name: 'stream cuts rising during the window: high, the route and its cluster, route timeout 0s',
      stats: [40, 2],
      statsLater: [52, 3],
      want: { score: 0.75, confidence: 'high', explains: ['streams-cut-after-response', 'stream-cuts-in-window', 'stream-idle-timeout-still-bounds-streams'] },
    },
    {
      name: 'one sample: medium',
      stats: [52, 3],
      want: { score: 0.6, confidence: 'medium', explains: ['streams-cut-after-response', 'stream-idle-timeout-still-bounds-streams'] },
    },
    {
      name: 'the access log shows 200 UT at the route timeout: high',
      log: cut(12, 15_003),
      want: { score: 0.8, confidence: 'high', explains: ['streams-logged-cut-at-route-timeout', 'stream-idle-timeout-still-bounds-streams'] },
    },
    {
      name: 'both, on Envoy default route timeout: high, and the default named',
      routeExtra: {},
      stats: [40, 2],
      statsLater: [52, 3],
      log: cut(12, 15_003),
      want: {
        score: 0.9,
        confidence: 'high',
        explains: [
          'streams-logged-cut-at-route-timeout',
          'streams-cut-after-response',
          'stream-cuts-in-window',
          'route-timeout-is-the-default',
          'stream-idle-timeout-still-bounds-streams',
        ],
      },
    },
    { name: 'cuts that did not move during the window: nothing', stats: [52, 3], statsLater: [52, 3] },
    { name: 'every timeout answered with 504: nothing', stats: [21, 21], statsLater: [33, 33] },
    { name: 'route timeout 0s: nothing', routeExtra: { timeout: '0s' }, stats: [40, 0], statsLater: [52, 0] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = diagnose(c);
      if (!c.want) return assert.deepEqual(out, []);
      assert.equal(out.length, 1);
      const rc = out[0] as Diagnosed;
      assert.equal(rc.id, 'route-timeout-on-stream');
      assert.equal(rc.score, c.want.score);
      assert.equal(rc.confidence, c.want.confidence);
      assert.deepEqual(rc.entities, [
        { kind: 'route', name: R },
        { kind: 'cluster', name: C },
      ]);
      assert.deepEqual(
        rc.explains.map((e) => e.code),
        c.want.explains,
      );
      assert.deepEqual(rc.changes, [{ kind: 'route-timeout', route: R, ms: 0 }]);
    });
  }

  it('says which stream idle timeout still bounds the stream: the connection manager default, 5 min', () => {
    const rc = diagnose({ name: '', stats: [40, 2], statsLater: [52, 3] })[0] as Diagnosed;
    assert.equal(rc.explains.find((e) => e.code === 'stream-idle-timeout-still-bounds-streams')?.values.idleTimeoutMs, 300_000);
    assert.equal(rc.explains.find((e) => e.code === 'streams-cut-after-response')?.values.afterResponse, 49);
    assert.equal(rc.explains.find((e) => e.code === 'stream-cuts-in-window')?.values.windowAfterResponse, 11);
  });

  it('rules the upgrade handshakes out when no timeout was answered with 504, and leaves them possible when some were', () => {
    const verdict = (stats: [number, number], statsLater: [number, number]) =>
      (diagnose({ name: '', stats, statsLater })[0] as Diagnosed).checks.find((c) => c.hypothesis === 'route-timeout-on-upgrade');
    assert.deepEqual(verdict([40, 0], [52, 0])?.verdict, 'ruled-out');
    assert.deepEqual(verdict([40, 0], [52, 0])?.evidence, { upstreamRqTimeout: 52, upstreamRq504: 0 });
    assert.equal(verdict([40, 2], [52, 3])?.verdict, 'possible');
  });
});
