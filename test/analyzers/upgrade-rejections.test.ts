import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/upgrade-rejections.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats } from '../helpers/snapshot.ts';

const WS = 'httproute/home/app/rule/0';
const API = 'httproute/home/api/rule/0';
const routes = (api: object) => ({
  name: 'home/eg/https',
  virtual_hosts: [
    {
      name: 'vh',
      domains: ['*'],
      routes: [
        { name: `${API}/match/0/x`, match: { prefix: '/api' }, route: { cluster: API, ...api } },
        { name: `${WS}/match/0/x`, match: { prefix: '/' }, route: { cluster: WS, upgrade_configs: [{ upgrade_type: 'websocket' }] } },
      ],
    },
  ],
});
const config = (api: object, hcmUpgrade = false) => ({
  clusters: [gatewayCluster(WS), gatewayCluster(API)],
  listeners: [gatewayListener({ upgrade: hcmUpgrade })],
  routeConfigs: [routes(api)],
});
const refusal = (route: string): AccessLogEntry => ({
  responseCode: 403,
  responseCodeDetails: 'upgrade_failed',
  responseFlags: [],
  routeName: route,
  method: 'GET',
});
const ok = (route: string): AccessLogEntry => ({
  responseCode: 200,
  responseCodeDetails: 'via_upstream',
  responseFlags: [],
  routeName: route,
  upstreamCluster: API,
});

describe('upgrade-rejections analyzer', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; log?: AccessLogEntry[]; want: ExpectedFinding[] }> = [
    {
      name: 'refusals rising during the window: error, routes counted by their upgrade setting',
      spec: {
        ...config({ upgrade_configs: [{ upgrade_type: 'websocket', enabled: false }] }),
        stats: httpStats('https-10443', { downstream_rq_ws_on_non_ws_route: 120, downstream_cx_upgrades_total: 900 }),
        statsLater: httpStats('https-10443', { downstream_rq_ws_on_non_ws_route: 134, downstream_cx_upgrades_total: 905 }),
        intervalSeconds: 30,
      },
      want: [
        {
          code: 'upgrade-on-non-websocket-route',
          entity: 'https-10443',
          severity: 'error',
          evidence: { refused: 134, windowRefused: 14, windowSeconds: 30, upgradesTotal: 905, routesDisabled: 1, routesNotConfigured: 0 },
        },
      ],
    },
    {
      name: 'the counter did not move during the window: info',
      spec: {
        ...config({}),
        stats: httpStats('https-10443', { downstream_rq_ws_on_non_ws_route: 7 }),
        statsLater: httpStats('https-10443', { downstream_rq_ws_on_non_ws_route: 7 }),
        intervalSeconds: 30,
      },
      want: [{ code: 'upgrade-on-non-websocket-route', entity: 'https-10443', severity: 'info', evidence: { windowRefused: 0, routesNotConfigured: 1 } }],
    },
    {
      name: 'one sample with refusals: warning',
      spec: { ...config({}), stats: httpStats('https-10443', { downstream_rq_ws_on_non_ws_route: 5 }) },
      want: [{ code: 'upgrade-on-non-websocket-route', entity: 'https-10443', severity: 'warning', evidence: { refused: 5 } }],
    },
    {
      name: 'zero refusals: nothing, even with a route that disables upgrades',
      spec: {
        ...config({ upgrade_configs: [{ upgrade_type: 'websocket', enabled: false }] }),
        stats: httpStats('https-10443', { downstream_rq_ws_on_non_ws_route: 0 }),
      },
      want: [],
    },
    {
      name: 'access log: Envoy 403 upgrade_failed on a route whose upgrade is disabled; a backend 403 is not counted',
      spec: config({ upgrade_configs: [{ upgrade_type: 'websocket', enabled: false }] }),
      log: [
        refusal(`${API}/match/0/x`),
        refusal(`${API}/match/0/x`),
        refusal(`${API}/match/0/x`),
        { responseCode: 403, responseCodeDetails: 'via_upstream', responseFlags: [], routeName: `${API}/match/0/x` },
        ok(`${API}/match/0/x`),
      ],
      want: [
        {
          code: 'upgrade-rejected-on-route',
          entity: `${API}/match/0/x`,
          severity: 'warning',
          evidence: { refused: 3, entries: 5, share: 0.6, upgradeSetting: 'disabled', cluster: API, connectionManager: 'https-10443' },
        },
      ],
    },
    {
      name: 'access log: a route with no upgrade_configs under a connection manager without upgrades is not-configured; one refusal is info',
      spec: config({}),
      log: [refusal(`${API}/match/0/x`), ok(`${API}/match/0/x`)],
      want: [{ code: 'upgrade-rejected-on-route', entity: `${API}/match/0/x`, severity: 'info', evidence: { refused: 1, upgradeSetting: 'not-configured' } }],
    },
    {
      name: 'access log: the connection manager enables websocket, so a route without upgrade_configs inherits it',
      spec: config({}, true),
      log: [refusal(`${API}/match/0/x`), refusal(`${API}/match/0/x`), refusal(`${API}/match/0/x`)],
      want: [{ code: 'upgrade-rejected-on-route', entity: `${API}/match/0/x`, severity: 'warning', evidence: { upgradeSetting: 'enabled' } }],
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
