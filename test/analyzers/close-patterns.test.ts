import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/close-patterns.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { clusterStats, fixture, httpStats } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';

describe('close-patterns analyzer', () => {
  const cases: Array<{ name: string; stats: Record<string, number>; want: ExpectedFinding[] }> = [
    {
      name: 'the incident: UC and Envoy-side closes as shares of all closes',
      stats: clusterStats(C, { upstream_cx_destroy: 900, upstream_cx_destroy_remote_with_active_rq: 152, upstream_cx_destroy_local_with_active_rq: 265 }),
      want: [
        { code: 'upstream-close-with-active-request', entity: C, severity: 'warning', evidence: { count: 152, totalCloses: 900, share: 0.1689 } },
        { code: 'envoy-close-with-active-request', entity: C, severity: 'warning', evidence: { count: 265, share: 0.2944 } },
      ],
    },
    {
      name: 'a small share is info',
      stats: clusterStats(C, { upstream_cx_destroy: 10000, upstream_cx_destroy_remote_with_active_rq: 12, upstream_cx_destroy_local_with_active_rq: 0 }),
      want: [{ code: 'upstream-close-with-active-request', entity: C, severity: 'info', evidence: { share: 0.0012 } }],
    },
    {
      name: 'a total below its own part (edited captures) is unknown, not a share above 100%',
      stats: clusterStats(C, { upstream_cx_destroy: 0, upstream_cx_destroy_remote_with_active_rq: 122 }),
      want: [{ code: 'upstream-close-with-active-request', entity: C, severity: 'info', evidence: { count: 122, share: null } }],
    },
    {
      name: 'fewer than ten closes is noise',
      stats: clusterStats(C, { upstream_cx_destroy: 10, upstream_cx_destroy_remote_with_active_rq: 9 }),
      want: [],
    },
    {
      name: 'iOS clients closing with a request active (DC) per user agent',
      stats: {
        ...httpStats('https-10443', { downstream_cx_destroy: 5000, downstream_cx_destroy_remote_active_rq: 1700 }),
        'http.https-10443.user_agent.ios.downstream_cx_destroy_remote_active_rq': 1436,
        'http.https-10443.user_agent.ios.downstream_cx_total': 2000,
      },
      want: [
        { code: 'downstream-close-with-active-request', entity: 'https-10443', severity: 'warning', evidence: { count: 1700, basisCount: 5000, share: 0.34 } },
        {
          code: 'downstream-close-with-active-request',
          entity: 'https-10443/ios',
          severity: 'warning',
          evidence: { agent: 'ios', count: 1436, basisCount: 2000, share: 0.718 },
        },
      ],
    },
  ];
  for (const c of cases) it(c.name, () => expectFindings(analyze(fixture({ stats: c.stats })), c.want));
});

describe('close-patterns analyzer: clusters whose closes are no UC pattern', () => {
  const closes = { upstream_cx_destroy: 900, upstream_cx_destroy_remote_with_active_rq: 450, upstream_cx_destroy_local_with_active_rq: 450 };
  const tcpListener = (cluster: string) => ({
    name: 'db/eg/pg',
    address: { socket_address: { address: '0.0.0.0', port_value: 5432 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.tcp_proxy',
            typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'tcp-5432', cluster },
          },
        ],
      },
    ],
  });
  it('a cluster only TCP proxies use: every tunnel is an active request, so nothing', () => {
    const s = fixture({
      clusters: [{ name: 'tcproute/db/pg/rule/-1', type: 'EDS' }],
      listeners: [tcpListener('tcproute/db/pg/rule/-1')],
      stats: clusterStats('tcproute/db/pg/rule/-1', closes),
    });
    expectFindings(analyze(s), []);
  });
  it('the same closes on a cluster an HTTP route also uses: findings as for any HTTP cluster', () => {
    const s = fixture({
      clusters: [{ name: C, type: 'EDS' }],
      listeners: [
        tcpListener(C),
        {
          name: 'http',
          address: { socket_address: { address: '0.0.0.0', port_value: 80 } },
          filter_chains: [{ filters: [{ name: 'envoy.http_connection_manager', config: { stat_prefix: 'http', rds: { route_config_name: 'r' } } }] }],
        },
      ],
      routeConfigs: [{ name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: C } }] }] }],
      stats: clusterStats(C, closes),
    });
    expectFindings(analyze(s), [
      { code: 'upstream-close-with-active-request', entity: C, evidence: { count: 450, share: 0.5 } },
      { code: 'envoy-close-with-active-request', entity: C, evidence: { count: 450 } },
    ]);
  });
  it('control-plane clusters (xds-grpc, or a gRPC service the bootstrap names): nothing', () => {
    const s = fixture({
      bootstrap: { node: { id: 'p' }, dynamic_resources: { ads_config: { api_type: 'GRPC', grpc_services: [{ envoy_grpc: { cluster_name: 'my-xds' } }] } } },
      clusters: [{ name: 'my-xds', type: 'STRICT_DNS' }],
      stats: { ...clusterStats('xds-grpc', closes), ...clusterStats('my-xds', closes) },
    });
    expectFindings(analyze(s), []);
  });
});
