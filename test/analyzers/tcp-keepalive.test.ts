import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/tcp-keepalive.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const keepalive = { upstream_connection_options: { tcp_keepalive: { keepalive_probes: 3, keepalive_time: 60, keepalive_interval: 20 } } };

describe('tcp-keepalive analyzer', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; want: ExpectedFinding[] }> = [
    {
      name: 'WebSocket cluster and listener without keepalive while upgrades flow: warnings',
      spec: {
        clusters: [gatewayCluster(C)],
        listeners: [gatewayListener()],
        routeConfigs: [routeConfig('home/eg/https', [C])],
        stats: httpStats('https-10443', { downstream_cx_upgrades_total: 12 }),
      },
      want: [
        { code: 'cluster-tcp-keepalive-missing', entity: C, severity: 'warning', evidence: { websocketRoutes: 1, upgradesTotal: 12 } },
        { code: 'listener-tcp-keepalive-missing', entity: 'home/eg/https', severity: 'warning', evidence: { upgradesTotal: 12 } },
      ],
    },
    {
      name: 'config only: capable but unknown use is info',
      spec: { clusters: [gatewayCluster(C)], listeners: [gatewayListener()], routeConfigs: [routeConfig('home/eg/https', [C])] },
      want: [
        { code: 'cluster-tcp-keepalive-missing', entity: C, severity: 'info' },
        { code: 'listener-tcp-keepalive-missing', entity: 'home/eg/https', severity: 'info' },
      ],
    },
    {
      name: 'keepalive on both (socket options given as int64 strings, as Envoy Gateway dumps them): nothing',
      spec: { clusters: [gatewayCluster(C, keepalive)], listeners: [gatewayListener({ keepalive: true })], routeConfigs: [routeConfig('home/eg/https', [C])] },
      want: [],
    },
    {
      name: 'camelCase keepalive (egctl) counts too',
      spec: {
        clusters: [gatewayCluster(C, { upstreamConnectionOptions: { tcpKeepalive: { keepaliveTime: 1200 } } })],
        listeners: [gatewayListener({ keepalive: true })],
        routeConfigs: [routeConfig('home/eg/https', [C])],
      },
      want: [],
    },
  ];
  for (const c of cases) it(c.name, () => expectFindings(analyze(fixture(c.spec)), c.want));
});

describe('tcp-keepalive analyzer: control-plane clusters', () => {
  it('a route that reaches the xDS cluster does not make it a WebSocket backend', () => {
    const s = fixture({
      bootstrap: {
        node: { id: 'envoy-0' },
        dynamic_resources: { ads_config: { api_type: 'GRPC', grpc_services: [{ envoy_grpc: { cluster_name: 'control-plane' } }] } },
      },
      clusters: [gatewayCluster(C, keepalive), { name: 'control-plane', type: 'STRICT_DNS' }, { name: 'xds-grpc', type: 'STATIC' }],
      listeners: [gatewayListener({ keepalive: true })],
      routeConfigs: [routeConfig('home/eg/https', [C, 'control-plane', 'xds-grpc'])],
      stats: httpStats('https-10443', { downstream_cx_upgrades_total: 12 }),
    });
    expectFindings(analyze(s), []);
  });
});
