import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/idle-timeouts.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const P = 'https-10443';
const base = { clusters: [gatewayCluster(C)], listeners: [gatewayListener()], routeConfigs: [routeConfig('home/eg/https', [C])] };

describe('idle-timeouts analyzer', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; want: ExpectedFinding[] }> = [
    {
      name: 'idle timeouts rising during the window where WebSockets are served: warning with the default 5 min',
      spec: {
        ...base,
        stats: httpStats(P, { downstream_rq_idle_timeout: 40, downstream_cx_upgrades_total: 900, downstream_cx_upgrades_active: 30 }),
        statsLater: httpStats(P, { downstream_rq_idle_timeout: 46, downstream_cx_upgrades_total: 910, downstream_cx_upgrades_active: 31 }),
        intervalSeconds: 30,
      },
      want: [
        {
          code: 'stream-idle-timeouts-fired',
          entity: P,
          severity: 'warning',
          evidence: {
            idleTimeouts: 46,
            windowIdleTimeouts: 6,
            windowSeconds: 30,
            streamIdleTimeoutMs: 300000,
            streamIdleTimeoutSource: 'envoy-default',
            effectiveIdleTimeoutMs: 300000,
            upgradesTotal: 910,
            upgradesActive: 31,
            websocketRoutes: 1,
          },
        },
      ],
    },
    {
      name: 'a route idle_timeout overrides the connection manager: the shorter one is the effective one',
      spec: { ...base, routeConfigs: [routeConfig('home/eg/https', [C], { idle_timeout: '60s' })], stats: httpStats(P, { downstream_rq_idle_timeout: 3 }) },
      want: [
        {
          code: 'stream-idle-timeouts-fired',
          entity: P,
          severity: 'warning',
          evidence: { routeIdleTimeoutMs: 60000, effectiveIdleTimeoutMs: 60000, streamIdleTimeoutMs: 300000 },
        },
      ],
    },
    {
      name: 'totals that did not move during the window are history: info',
      spec: {
        ...base,
        stats: httpStats(P, { downstream_rq_idle_timeout: 12 }),
        statsLater: httpStats(P, { downstream_rq_idle_timeout: 12 }),
        intervalSeconds: 30,
      },
      want: [{ code: 'stream-idle-timeouts-fired', entity: P, severity: 'info', evidence: { windowIdleTimeouts: 0 } }],
    },
    { name: 'zero idle timeouts: nothing', spec: { ...base, stats: httpStats(P, { downstream_rq_idle_timeout: 0 }) }, want: [] },
    { name: 'the counter absent: unknown, nothing', spec: { ...base, stats: httpStats(P, { downstream_cx_upgrades_total: 5 }) }, want: [] },
    {
      name: 'a connection manager without WebSocket-capable routes is not judged',
      spec: { ...base, listeners: [gatewayListener({ upgrade: false })], stats: httpStats(P, { downstream_rq_idle_timeout: 9 }) },
      want: [],
    },
  ];
  for (const c of cases) it(c.name, () => expectFindings(analyze(fixture(c.spec)), c.want));
});
