import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/listener-drain.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const lm = (stats: Record<string, number>) => Object.fromEntries(Object.entries(stats).map(([k, v]) => [`listener_manager.${k}`, v]));
const quiet = { listener_modified: 0, listener_removed: 0, listener_in_place_updated: 0, total_listeners_draining: 0, total_filter_chains_draining: 0 };
const upgrades = httpStats('https-10443', { downstream_cx_upgrades_active: 37, downstream_cx_upgrades_total: 400 });
const spec = (before: Record<string, number>, after?: Record<string, number>, upgrade = true): FixtureSpec => ({
  clusters: [gatewayCluster(C)],
  listeners: [gatewayListener({ upgrade })],
  routeConfigs: [routeConfig('home/eg/https', [C])],
  stats: { ...upgrades, ...lm(before) },
  ...(after ? { statsLater: { ...upgrades, ...lm(after) }, intervalSeconds: 30 } : {}),
});
const drained = (responseCode: number, details = 'filter_chain_is_being_removed'): AccessLogEntry => ({
  responseCode,
  responseFlags: ['DC'],
  responseCodeDetails: `downstream_local_disconnect(${details})`,
  durationMs: 71_000,
});

describe('listener-drain analyzer', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; log?: AccessLogEntry[]; want: ExpectedFinding[] }> = [
    {
      name: 'upgraded sessions closed by a drain in the access log: error',
      spec: spec({ ...quiet, listener_modified: 6 }),
      log: [drained(101), drained(101), drained(200), { responseCode: 101, responseFlags: [], durationMs: 5000 }],
      want: [
        {
          code: 'listeners-drained',
          entity: 'proxy-0',
          severity: 'error',
          evidence: {
            listenerModified: 6,
            listenerRemoved: 0,
            inPlaceUpdated: 0,
            logDrainCloses: 3,
            logDrainUpgrades: 2,
            upgradesActive: 37,
            drainSeconds: 60,
            websocketListeners: 'home/eg/https',
          },
        },
      ],
    },
    {
      name: 'upgraded sessions closed as their replaced listener went away (purging_socket_...): error',
      spec: spec({ ...quiet, listener_modified: 2 }),
      log: [
        drained(101, 'purging_socket_that_have_not_progressed_to_connections'),
        drained(101),
        { responseCode: 101, responseFlags: ['DC'], responseCodeDetails: 'downstream_remote_disconnect', durationMs: 5000 },
      ],
      want: [{ code: 'listeners-drained', entity: 'proxy-0', severity: 'error', evidence: { logDrainCloses: 2, logDrainUpgrades: 2 } }],
    },
    {
      name: 'a listener update during the window with WebSockets open: error (an in-place update counts once: it is also a modification)',
      spec: spec({ ...quiet, listener_modified: 6 }, { ...quiet, listener_modified: 7, listener_in_place_updated: 1, total_filter_chains_draining: 1 }),
      want: [
        {
          code: 'listeners-drained',
          entity: 'proxy-0',
          severity: 'error',
          evidence: { windowUpdates: 1, windowSeconds: 30, filterChainsDraining: 1, inPlaceUpdated: 1 },
        },
      ],
    },
    {
      name: 'a listener draining now, no update in the window: warning',
      spec: spec({ ...quiet, listener_modified: 3, total_listeners_draining: 1 }, { ...quiet, listener_modified: 3, total_listeners_draining: 1 }),
      want: [{ code: 'listeners-drained', entity: 'proxy-0', severity: 'warning', evidence: { windowUpdates: 0, listenersDraining: 1 } }],
    },
    {
      name: 'historic updates only: info',
      spec: spec({ ...quiet, listener_modified: 3 }, { ...quiet, listener_modified: 3 }),
      want: [{ code: 'listeners-drained', entity: 'proxy-0', severity: 'info', evidence: { listenerModified: 3, windowUpdates: 0 } }],
    },
    { name: 'no updates and nothing draining: nothing', spec: spec(quiet, quiet), want: [] },
    {
      name: 'no WebSocket routes and no tunnels: nothing',
      spec: spec({ ...quiet, listener_modified: 9 }, { ...quiet, listener_modified: 12 }, false),
      want: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = fixture(c.spec);
      if (c.log) s.accessLog = { source: 'access.log', entries: c.log, skipped: 0 };
      expectFindings(analyze(s), c.want);
    });
  }
});
