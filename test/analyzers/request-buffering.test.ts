import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/request-buffering.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { type FixtureSpec, fixture, gatewayCluster, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const BUFFER = {
  name: 'envoy.filters.http.buffer',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer', max_request_bytes: 1048576 },
};
const PER_ROUTE = {
  'envoy.filters.http.buffer': {
    '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute',
    buffer: { max_request_bytes: 1048576 },
  },
};
const OFF_FOR_ROUTE = {
  'envoy.filters.http.buffer': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute', disabled: true },
};

function listener(filters: object[], upgrade = true): object {
  return {
    name: 'home/eg/https',
    address: { socket_address: { address: '0.0.0.0', port_value: 10443 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: 'https-10443',
              rds: { route_config_name: 'home/eg/https' },
              ...(upgrade ? { upgrade_configs: [{ upgrade_type: 'websocket' }] } : {}),
              http_filters: [...filters, { name: 'envoy.filters.http.router' }],
            },
          },
        ],
      },
    ],
  };
}

function routes(perFilter?: object): object {
  const rc = routeConfig('home/eg/https', [C]) as { virtual_hosts: Array<{ routes: Array<Record<string, unknown>> }> };
  if (perFilter) (rc.virtual_hosts[0]?.routes[0] as Record<string, unknown>).typed_per_filter_config = perFilter;
  return rc;
}

describe('request-buffering analyzer', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; want: ExpectedFinding[] }> = [
    {
      name: 'Envoy Gateway style: filter off by default, turned on for the WebSocket route',
      spec: { clusters: [gatewayCluster(C)], listeners: [listener([{ ...BUFFER, disabled: true }])], routeConfigs: [routes(PER_ROUTE)] },
      want: [
        {
          code: 'websocket-route-buffers-requests',
          entity: `${C}/match/0`,
          severity: 'warning',
          evidence: { connectionManager: 'https-10443', enabledBy: 'route' },
        },
      ],
    },
    {
      name: 'plain Envoy: a buffer filter on the connection manager buffers every route',
      spec: { clusters: [gatewayCluster(C)], listeners: [listener([BUFFER])], routeConfigs: [routes()] },
      want: [{ code: 'websocket-route-buffers-requests', entity: `${C}/match/0`, evidence: { enabledBy: 'connection-manager' } }],
    },
    {
      name: 'turned off for the route: nothing',
      spec: { clusters: [gatewayCluster(C)], listeners: [listener([BUFFER])], routeConfigs: [routes(OFF_FOR_ROUTE)] },
      want: [],
    },
    {
      name: 'off by default and not turned on: nothing',
      spec: { clusters: [gatewayCluster(C)], listeners: [listener([{ ...BUFFER, disabled: true }])], routeConfigs: [routes()] },
      want: [],
    },
    {
      name: 'buffering where no upgrade is accepted: nothing',
      spec: { clusters: [gatewayCluster(C)], listeners: [listener([BUFFER], false)], routeConfigs: [routes()] },
      want: [],
    },
  ];
  for (const c of cases) it(c.name, () => expectFindings(analyze(fixture(c.spec)), c.want));
});
