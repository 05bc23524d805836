import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/listener-drain.ts';
import { rootCause as rule } from '../../src/diagnose/root-causes/listener-drain.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import { diagnoseWith, type ExpectedRootCause, expectNamed, withAccessLog } from '../helpers/root-cause.ts';
import { gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const lm = (modified: number, draining: number) => ({
  'listener_manager.listener_modified': modified,
  'listener_manager.listener_removed': 0,
  'listener_manager.listener_in_place_updated': 0,
  'listener_manager.total_listeners_draining': draining,
  'listener_manager.total_filter_chains_draining': 0,
});
const upgrades = httpStats('https-10443', { downstream_cx_upgrades_active: 37 });
const drained: AccessLogEntry = {
  responseCode: 101,
  responseFlags: ['DC'],
  responseCodeDetails: 'downstream_local_disconnect(filter_chain_is_being_removed)',
  durationMs: 70_000,
};

describe('listener-drain rule', () => {
  const cases: Array<{
    name: string;
    before: ReturnType<typeof lm>;
    after: ReturnType<typeof lm>;
    log?: AccessLogEntry[];
    want: ExpectedRootCause | undefined;
  }> = [
    {
      name: 'drain closes in the log, updates in the window, draining now: error, high, a longer drain time',
      before: lm(4, 0),
      after: lm(6, 1),
      log: [drained, drained],
      want: {
        severity: 'error',
        confidence: 'high',
        score: 1,
        entities: [
          { kind: 'proxy', name: 'proxy-0' },
          { kind: 'listener', name: 'home/eg/https' },
        ],
        explains: ['drain-closed-upgrades', 'listener-updates-in-window', 'listeners-draining-now'],
        values: { 'listener-updates-in-window': { windowUpdates: 2, windowSeconds: 30, upgradesActive: 37, drainSeconds: 60 } },
        changes: [{ kind: 'proxy-drain-time', listener: 'home/eg/https', seconds: 600 }],
      },
    },
    {
      name: 'updates in the window with WebSockets open, no log: warning, medium',
      before: lm(4, 0),
      after: lm(5, 0),
      want: { score: 0.6, confidence: 'medium', severity: 'warning' },
    },
    { name: 'historic updates only name nothing', before: lm(4, 0), after: lm(4, 0), want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = withAccessLog(
        {
          clusters: [gatewayCluster(C)],
          listeners: [gatewayListener()],
          routeConfigs: [routeConfig('home/eg/https', [C])],
          stats: { ...upgrades, ...c.before },
          statsLater: { ...upgrades, ...c.after },
          intervalSeconds: 30,
        },
        c.log,
      );
      expectNamed(diagnoseWith(rule, analyze, s), 'listener-drain', c.want);
    });
  }
});
