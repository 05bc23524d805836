import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/idle-timeouts.ts';
import { rootCause as rule } from '../../src/diagnose/root-causes/stream-idle-timeout.ts';
import type { Finding } from '../../src/model/finding.ts';
import { diagnoseWith, type ExpectedRootCause, expectNamed, GATEWAY_CONNECTION_MANAGER, sessionsBand } from '../helpers/root-cause.ts';
import { clusterStats, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const R = `${C}/match/0`;
const P = 'https-10443';
const config = { clusters: [gatewayCluster(C)], listeners: [gatewayListener()], routeConfigs: [routeConfig('home/eg/https', [C])] };
const zeroes = {
  ...clusterStats(C, { upstream_rq_timeout: 0, upstream_cx_max_duration_reached: 0, upstream_rq_max_duration_reached: 0 }),
  ...httpStats(P, {
    downstream_cx_max_duration_reached: 0,
    downstream_rq_max_duration_reached: 0,
    downstream_cx_upgrades_total: 900,
    downstream_cx_upgrades_active: 40,
  }),
};
/** Upgraded sessions ending with `flag` together from `lowMs`, at a 5 min timer when `timer` names it. */
const band = (flag: string, timer: string | null, lowMs: number): Finding =>
  sessionsBand(R, { count: 40, flag, lowMs, highMs: lowMs + 4000, medianMs: lowMs + 1500, cluster: C, timer, ...(timer ? { timerMs: 300000 } : {}) });

describe('stream-idle-timeout rule', () => {
  const cases: Array<{
    name: string;
    /** downstream_rq_idle_timeout 30 s after it read 100. */
    idleTimeouts: number;
    bands?: Finding[];
    want: ExpectedRootCause | undefined;
  }> = [
    {
      name: 'idle timeouts rising where WebSockets flow: medium confidence, on the connection manager and its listener',
      idleTimeouts: 108,
      want: {
        confidence: 'medium',
        score: 0.6,
        severity: 'warning',
        entities: GATEWAY_CONNECTION_MANAGER,
        explains: ['idle-timeout-ends-quiet-streams', 'stream-idle-timeouts-in-window'],
        someValues: { 'idle-timeout-ends-quiet-streams': { effectiveIdleTimeoutMs: 300000 } },
        checks: [
          'route-timeout-on-upgrade:ruled-out',
          'connection-max-duration:ruled-out',
          'circuit-breaker-saturation:unknown',
          'websocket-upgrade-disabled:unknown',
        ],
        changes: [{ kind: 'listener-stream-idle-timeout', listener: 'home/eg/https', ms: 3_600_000 }],
      },
    },
    {
      name: 'upgraded sessions ending with SI at the configured timeout make it high confidence, an error',
      idleTimeouts: 108,
      bands: [band('SI', 'stream-idle-timeout', 300400)],
      want: {
        confidence: 'high',
        score: 1,
        severity: 'error',
        explanationAt: {
          [-1]: {
            code: 'upgraded-sessions-end-at-idle-timeout',
            values: { count: 40, flag: 'SI', lowMs: 300400, highMs: 304400, medianMs: 301900, timerMs: 300000 },
          },
        },
        more: (rc) => assert.ok(rc.entities.some((e) => e.kind === 'route' && e.name === R)),
      },
    },
    {
      name: 'an SI band alone (no counter movement) still names it at medium confidence',
      idleTimeouts: 100,
      bands: [band('SI', null, 300400)],
      want: { confidence: 'medium', score: 0.55 },
    },
    { name: 'totals that did not move and no band: nothing', idleTimeouts: 100, want: undefined },
    {
      name: 'a band of upstream closes (UC) is not an idle timeout',
      idleTimeouts: 100,
      bands: [band('UC', 'aiohttp-heartbeat-home-assistant', 82500)],
      want: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = fixture({
        ...config,
        stats: { ...zeroes, [`http.${P}.downstream_rq_idle_timeout`]: 100 },
        statsLater: { ...zeroes, [`http.${P}.downstream_rq_idle_timeout`]: c.idleTimeouts },
        intervalSeconds: 30,
      });
      expectNamed(diagnoseWith(rule, analyze, s, c.bands), 'stream-idle-timeout', c.want);
    });
  }
});
