import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/circuit-breakers.ts';
import { proposedThreshold, rootCause as rule } from '../../src/diagnose/root-causes/circuit-breaker-saturation.ts';
import { diagnoseWith, type ExpectedRootCause, expectNamed } from '../helpers/root-cause.ts';
import { clusterStats, type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const config = { clusters: [gatewayCluster(C)], listeners: [gatewayListener()], routeConfigs: [routeConfig('home/eg/https', [C])] };
const gauges = (cx: number, rq: number) => ({
  'circuit_breakers.default.cx_open': cx,
  'circuit_breakers.default.rq_open': rq,
  'circuit_breakers.default.rq_pending_open': 0,
});
/** 1024 WebSockets holding 1024 connections, the breakers open, `overflow` connection overflows so far. */
const saturated = (overflow: number) => ({
  ...clusterStats(C, {
    ...gauges(1, 1),
    upstream_cx_overflow: overflow,
    upstream_rq_pending_overflow: overflow / 10,
    upstream_cx_active: 1024,
    upstream_rq_active: 1024,
  }),
  ...httpStats('https-10443', { downstream_cx_upgrades_active: 1021, downstream_rq_ws_on_non_ws_route: 0 }),
});
const quiet = clusterStats(C, { ...gauges(0, 0), upstream_cx_overflow: 25, upstream_rq_pending_overflow: 0, upstream_cx_active: 10 });

describe('circuit-breaker-saturation rule', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; want: ExpectedRootCause | undefined }> = [
    {
      name: 'breakers open, overflows in the window, 1024 WebSockets holding 1024 connections: error, high, every explanation',
      spec: { ...config, stats: saturated(300), statsLater: saturated(400), intervalSeconds: 30 },
      want: {
        severity: 'error',
        confidence: 'high',
        score: 1,
        entities: [{ kind: 'cluster', name: C }],
        explains: ['websockets-hold-connections', 'circuit-breaker-open-now', 'overflows-in-window', 'active-at-threshold'],
        values: {
          'websockets-hold-connections': { upgradesActive: 1021, activeConnections: 1024, maxConnections: 1024 },
          'overflows-in-window': { windowCxOverflow: 100, windowRqPendingOverflow: 10, windowSeconds: 30 },
          'active-at-threshold': { active: 1024, threshold: 1024, kind: 'connections' },
        },
        checks: ['websocket-upgrade-disabled:ruled-out'],
        changes: [
          { kind: 'cluster-circuit-breakers', cluster: 'httproute/home/app/rule/0', maxConnections: 4096, maxPendingRequests: 4096, maxRequests: 4096 },
        ],
      },
    },
    {
      name: 'one sample with overflow totals only: warning, low',
      spec: { ...config, stats: clusterStats(C, { ...gauges(0, 0), upstream_cx_overflow: 12, upstream_rq_pending_overflow: 0, upstream_cx_active: 400 }) },
      want: { severity: 'warning', score: 0.45, confidence: 'low' },
    },
    {
      name: 'near the limit (95%) with WebSockets holding the connections: a medium-confidence warning',
      spec: {
        ...config,
        stats: {
          ...clusterStats(C, { ...gauges(0, 0), upstream_cx_overflow: 0, upstream_rq_pending_overflow: 0, upstream_cx_active: 980, upstream_rq_active: 980 }),
          ...httpStats('https-10443', { downstream_cx_upgrades_active: 975 }),
        },
      },
      want: { severity: 'warning', score: 0.6, confidence: 'medium', more: (rc) => assert.equal(rc.evidence[0]?.code, 'circuit-breaker-near-limit') },
    },
    {
      name: 'overflow history that did not move during the window names nothing',
      spec: { ...config, stats: quiet, statsLater: quiet, intervalSeconds: 30 },
      want: undefined,
    },
    {
      name: 'a quiet cluster names nothing',
      spec: { ...config, stats: clusterStats(C, { ...gauges(0, 0), upstream_cx_overflow: 0, upstream_rq_pending_overflow: 0, upstream_cx_active: 10 }) },
      want: undefined,
    },
  ];
  for (const c of cases) it(c.name, () => expectNamed(diagnoseWith(rule, analyze, fixture(c.spec)), 'circuit-breaker-saturation', c.want));
});

describe('circuit-breaker-saturation: proposed thresholds, the next power of two at or above four times the larger of threshold and use', () => {
  const cases: Array<{ threshold: number; used?: number; want: number }> = [
    { threshold: 1024, want: 4096 },
    { threshold: 1024, used: 1500, want: 8192 },
    { threshold: 5000, want: 32768 },
  ];
  for (const c of cases)
    it(`threshold ${c.threshold}, ${c.used ?? 'no'} in use: ${c.want}`, () => assert.equal(proposedThreshold(c.threshold, c.used), c.want));
});
