import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/circuit-breakers.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { clusterStats, type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const config = { clusters: [gatewayCluster(C)], listeners: [gatewayListener()], routeConfigs: [routeConfig('home/eg/https', [C])] };
const closed = { 'circuit_breakers.default.cx_open': 0, 'circuit_breakers.default.rq_open': 0, 'circuit_breakers.default.rq_pending_open': 0 };

describe('circuit-breakers analyzer', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; want: ExpectedFinding[] }> = [
    {
      name: 'breakers open at the 1024 defaults with 1024 WebSockets: error, with thresholds and upgrades',
      spec: {
        ...config,
        stats: {
          ...clusterStats(C, {
            ...closed,
            'circuit_breakers.default.cx_open': 1,
            'circuit_breakers.default.rq_open': 1,
            upstream_cx_overflow: 310,
            upstream_rq_pending_overflow: 42,
            upstream_cx_active: 1024,
            upstream_rq_active: 1024,
          }),
          ...httpStats('https-10443', { downstream_cx_upgrades_active: 1019 }),
        },
      },
      want: [
        {
          code: 'circuit-breaker-overflow',
          entity: C,
          severity: 'error',
          evidence: {
            cxOpen: 1,
            rqOpen: 1,
            cxOverflow: 310,
            rqPendingOverflow: 42,
            activeConnections: 1024,
            maxConnections: 1024,
            connectionShare: 1,
            maxRequests: 1024,
            upgradesActive: 1019,
            websocketRoutes: 1,
          },
        },
      ],
    },
    {
      name: 'overflows rising during the window with the gauges closed at capture time: error',
      spec: {
        ...config,
        stats: clusterStats(C, { ...closed, upstream_cx_overflow: 10, upstream_rq_pending_overflow: 2, upstream_cx_active: 1000 }),
        statsLater: clusterStats(C, { ...closed, upstream_cx_overflow: 25, upstream_rq_pending_overflow: 6, upstream_cx_active: 1010 }),
        intervalSeconds: 30,
      },
      want: [
        { code: 'circuit-breaker-overflow', entity: C, severity: 'error', evidence: { windowCxOverflow: 15, windowRqPendingOverflow: 4, windowSeconds: 30 } },
      ],
    },
    {
      name: 'overflow totals that did not move during the window: info (history)',
      spec: {
        ...config,
        stats: clusterStats(C, { ...closed, upstream_cx_overflow: 25, upstream_rq_pending_overflow: 0, upstream_cx_active: 10 }),
        statsLater: clusterStats(C, { ...closed, upstream_cx_overflow: 25, upstream_rq_pending_overflow: 0, upstream_cx_active: 10 }),
        intervalSeconds: 30,
      },
      want: [{ code: 'circuit-breaker-overflow', entity: C, severity: 'info', evidence: { windowCxOverflow: 0 } }],
    },
    {
      name: 'one sample, overflows but closed now: warning',
      spec: { ...config, stats: clusterStats(C, { ...closed, upstream_cx_overflow: 3, upstream_rq_pending_overflow: 0 }) },
      want: [{ code: 'circuit-breaker-overflow', entity: C, severity: 'warning', evidence: { cxOverflow: 3 } }],
    },
    {
      name: 'explicit thresholds are compared: 900 of 1000 connections on a WebSocket cluster is near the limit',
      spec: {
        ...config,
        clusters: [gatewayCluster(C, { circuit_breakers: { thresholds: [{ max_connections: 1000, max_requests: 5000 }] } })],
        stats: clusterStats(C, { ...closed, upstream_cx_overflow: 0, upstream_rq_pending_overflow: 0, upstream_cx_active: 900, upstream_rq_active: 900 }),
      },
      want: [
        {
          code: 'circuit-breaker-near-limit',
          entity: C,
          severity: 'warning',
          evidence: { maxConnections: 1000, connectionShare: 0.9, maxRequests: 5000, requestShare: 0.18 },
        },
      ],
    },
    {
      name: 'well below the thresholds: nothing',
      spec: {
        ...config,
        stats: clusterStats(C, { ...closed, upstream_cx_overflow: 0, upstream_rq_pending_overflow: 0, upstream_cx_active: 300, upstream_rq_active: 300 }),
      },
      want: [],
    },
    {
      name: 'Prometheus-style folded keys (priority tag folded by the parser) are read the same',
      spec: { ...config, stats: { [`cluster.${C}.circuit_breakers_default_cx_open`]: 1, [`cluster.${C}.upstream_cx_active`]: 1024 } },
      want: [{ code: 'circuit-breaker-overflow', entity: C, severity: 'error', evidence: { cxOpen: 1 } }],
    },
    {
      name: 'stats only (no config): still reported, without thresholds',
      spec: { stats: clusterStats(C, { ...closed, 'circuit_breakers.default.rq_pending_open': 1 }) },
      want: [{ code: 'circuit-breaker-overflow', entity: C, severity: 'error', evidence: { rqPendingOpen: 1 } }],
    },
  ];
  for (const c of cases) it(c.name, () => expectFindings(analyze(fixture(c.spec)), c.want));
});
