import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/input-coverage.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const config = { clusters: [gatewayCluster(C)], listeners: [gatewayListener()], routeConfigs: [routeConfig('home/eg/https', [C])] };

describe('input-coverage analyzer', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; want: ExpectedFinding[] }> = [
    { name: 'config only: stats missing', spec: config, want: [{ code: 'input-missing', entity: 'proxy-0', evidence: { input: 'stats' } }] },
    {
      name: 'stats only: config missing, and no second sample',
      spec: { stats: httpStats('https-10443', { downstream_cx_active: 1 }) },
      want: [
        { code: 'input-missing', entity: 'proxy-0', evidence: { input: 'config-dump' } },
        { code: 'input-missing', entity: 'proxy-0', evidence: { input: 'stats-later' } },
      ],
    },
    {
      // The entity's missing stats and their reason are stats-coverage's findings (test/analyzers/stats-coverage.test.ts).
      name: 'all inputs present: nothing to report, even for a WebSocket cluster without stats',
      spec: {
        ...config,
        stats: httpStats('https-10443', { downstream_cx_active: 1 }),
        statsLater: httpStats('https-10443', { downstream_cx_active: 1 }),
        intervalSeconds: 30,
      },
      want: [],
    },
  ];
  for (const c of cases) it(c.name, () => expectFindings(analyze(fixture(c.spec)), c.want));
  it('Kubernetes reads that were refused are named, one finding each', () => {
    const s = fixture(config);
    s.inputs.stats = 'stats.txt';
    s.inputs.statsLater = 'stats.later.txt';
    s.kubernetes = {
      gateways: [],
      httpRoutes: [],
      backendTrafficPolicies: [],
      clientTrafficPolicies: [],
      envoyProxies: [],
      unavailable: ['forbidden: list backendtrafficpolicies.gateway.envoyproxy.io in home (RBAC: see docs/rbac.md)'],
    };
    expectFindings(analyze(s), [
      {
        code: 'kubernetes-read-refused',
        entity: 'proxy-0',
        evidence: { refused: 'forbidden: list backendtrafficpolicies.gateway.envoyproxy.io in home (RBAC: see docs/rbac.md)' },
      },
    ]);
  });
});
