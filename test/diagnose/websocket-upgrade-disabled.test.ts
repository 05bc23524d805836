import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/upgrade-rejections.ts';
import { rootCause as rule } from '../../src/diagnose/root-causes/websocket-upgrade-disabled.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import { diagnoseWith, type ExpectedRootCause, expectNamed, withAccessLog } from '../helpers/root-cause.ts';
import { type FixtureSpec, gatewayCluster, gatewayListener, httpStats } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const R = `${C}/match/0/x`;
const config = {
  clusters: [gatewayCluster(C)],
  listeners: [gatewayListener({ upgrade: false })],
  routeConfigs: [
    {
      name: 'home/eg/https',
      virtual_hosts: [
        {
          name: 'vh',
          domains: ['*'],
          routes: [{ name: R, match: { prefix: '/' }, route: { cluster: C, upgrade_configs: [{ upgrade_type: 'websocket', enabled: false }] } }],
        },
      ],
    },
  ],
};
const refusal: AccessLogEntry = { responseCode: 403, responseCodeDetails: 'upgrade_failed', responseFlags: [], routeName: R, method: 'GET' };

/** downstream_rq_ws_on_non_ws_route, then 30 s later. */
const refused = (before: number, after: number) => ({
  stats: httpStats('https-10443', { downstream_rq_ws_on_non_ws_route: before }),
  statsLater: httpStats('https-10443', { downstream_rq_ws_on_non_ws_route: after }),
  intervalSeconds: 30,
});
const noUpgrade = {
  ...config,
  routeConfigs: [
    { name: 'home/eg/https', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ name: R, match: { prefix: '/' }, route: { cluster: C } }] }] },
  ],
};

describe('websocket-upgrade-disabled rule', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; log?: AccessLogEntry[]; want: ExpectedRootCause | undefined }> = [
    {
      name: 'refusals during the window and the access log naming a disabled route: error, high',
      spec: { ...config, ...refused(40, 52) },
      log: [refusal, refusal, refusal, refusal],
      want: {
        severity: 'error',
        confidence: 'high',
        score: 1,
        entities: [
          { kind: 'route', name: R },
          { kind: 'connection-manager', name: 'https-10443' },
        ],
        explanations: [
          { code: 'upgrades-refused', values: { refused: 52, windowRefused: 12, windowSeconds: 30, connectionManager: 'https-10443' } },
          { code: 'route-upgrade-disabled', values: { route: R, refused: 4, connectionManager: 'https-10443' } },
        ],
        changes: [{ kind: 'route-websocket-upgrade', route: 'httproute/home/app/rule/0/match/0/x' }],
      },
    },
    {
      name: 'the stat alone during a window: error, medium',
      spec: { ...config, ...refused(40, 41) },
      want: { severity: 'error', score: 0.6, confidence: 'medium' },
    },
    {
      name: 'the access log alone, route without any upgrade: warning, medium',
      spec: noUpgrade,
      log: [refusal, refusal, refusal],
      want: { score: 0.6, severity: 'warning', more: (rc) => assert.equal(rc.explains[0]?.code, 'route-upgrade-not-configured') },
    },
    {
      name: 'refusals that did not move during the window, or a single refusal in the log, name nothing',
      spec: { ...config, ...refused(40, 40) },
      log: [refusal],
      want: undefined,
    },
  ];
  for (const c of cases) it(c.name, () => expectNamed(diagnoseWith(rule, analyze, withAccessLog(c.spec, c.log)), 'websocket-upgrade-disabled', c.want));
});
