import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/upgrade-route-timeouts.ts';
import { rootCause as rule } from '../../src/diagnose/root-causes/route-timeout-on-upgrade.ts';
import type { Finding } from '../../src/model/finding.ts';
import { diagnoseWith, type ExpectedRootCause, expectNamed, sessionsBand } from '../helpers/root-cause.ts';
import { clusterStats, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const R = `${C}/match/0`;
const P = 'https-10443';
const config = (minor: number, timeout = '3s') => ({
  bootstrap: { node: { cluster: 'home/eg', user_agent_build_version: { version: { major_number: 1, minor_number: minor, patch: 1 } } } },
  clusters: [gatewayCluster(C)],
  listeners: [gatewayListener()],
  routeConfigs: [routeConfig('home/eg/https', [C], { timeout })],
});
const zeroes = {
  ...clusterStats(C, { upstream_cx_max_duration_reached: 0, upstream_rq_max_duration_reached: 0 }),
  ...httpStats(P, {
    downstream_rq_idle_timeout: 0,
    downstream_cx_max_duration_reached: 0,
    downstream_rq_max_duration_reached: 0,
    downstream_cx_upgrades_total: 600,
  }),
};
/** Upgraded sessions ending with UT together from `lowMs`, at the route timeout when `timer` names it. */
const utBand = (lowMs: number, timer: string | null): Finding =>
  sessionsBand(R, { count: 25, flag: 'UT', lowMs, highMs: lowMs + 200, medianMs: lowMs + 50, cluster: C, timer, ...(timer ? { timerMs: 3000 } : {}) });

describe('route-timeout-on-upgrade rule', () => {
  const cases: Array<{
    name: string;
    /** Envoy 1.<minor>. */
    minor: number;
    /** upstream_rq_timeout, then 30 s later. */
    timeouts: [number, number];
    bands?: Finding[];
    want: ExpectedRootCause | undefined;
  }> = [
    {
      name: 'Envoy 1.36 with route timeouts rising on a WebSocket route: medium confidence, route and cluster',
      minor: 36,
      timeouts: [40, 52],
      want: {
        confidence: 'medium',
        score: 0.6,
        severity: 'warning',
        entities: [
          { kind: 'route', name: R },
          { kind: 'cluster', name: C },
        ],
        explanationAt: {
          0: { code: 'route-timeout-fails-upgrade-handshakes', values: { envoyVersion: '1.36.1', timeoutMs: 3000, upstreamRqTimeout: 52, cluster: C } },
        },
        values: { 'route-timeouts-in-window': { windowUpstreamRqTimeout: 12, windowSeconds: 30, cluster: C } },
        checks: [
          'stream-idle-timeout:ruled-out',
          'connection-max-duration:ruled-out',
          'circuit-breaker-saturation:unknown',
          'websocket-upgrade-disabled:unknown',
        ],
        changes: [{ kind: 'route-timeout', route: 'httproute/home/app/rule/0/match/0', ms: 0 }],
      },
    },
    { name: 'Envoy 1.35 does not apply the route timeout to upgrades: the same counters name nothing', minor: 35, timeouts: [40, 52], want: undefined },
    {
      name: 'upgraded sessions ending with UT at the route timeout: high confidence, an error, whatever the version',
      minor: 35,
      timeouts: [40, 52],
      bands: [utBand(3010, 'route-timeout')],
      want: {
        confidence: 'high',
        score: 0.8,
        severity: 'error',
        explanationAt: { 0: { code: 'upgraded-sessions-end-at-route-timeout', values: { count: 25, lowMs: 3010, highMs: 3210, timeoutMs: 3000 } } },
      },
    },
    { name: 'a UT band far from the route timeout is not this root cause', minor: 35, timeouts: [40, 40], bands: [utBand(45000, null)], want: undefined },
    { name: 'timeouts that did not move during the window: nothing', minor: 36, timeouts: [52, 52], want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const [before, after] = c.timeouts;
      const s = fixture({
        ...config(c.minor),
        stats: { ...zeroes, [`cluster.${C}.upstream_rq_timeout`]: before },
        statsLater: { ...zeroes, [`cluster.${C}.upstream_rq_timeout`]: after },
        intervalSeconds: 30,
      });
      expectNamed(diagnoseWith(rule, analyze, s, c.bands), 'route-timeout-on-upgrade', c.want);
    });
  }
});
