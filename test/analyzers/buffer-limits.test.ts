import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/buffer-limits.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const eg = { bootstrap: { node: { cluster: 'envoy-gateway-system/eg' } } };

describe('buffer-limits analyzer', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; want: ExpectedFinding[] }> = [
    {
      name: "Envoy Gateway's 32 KiB default on a WebSocket cluster and listener, upgrades in use: warnings naming the default",
      spec: {
        ...eg,
        clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 32768 })],
        listeners: [gatewayListener({ bufferLimit: 32768 })],
        routeConfigs: [routeConfig('home/eg/https', [C])],
        stats: httpStats('https-10443', { downstream_cx_upgrades_total: 4000 }),
      },
      want: [
        {
          code: 'websocket-buffer-limit-low',
          entity: C,
          severity: 'warning',
          evidence: { limitBytes: 32768, limitSource: 'envoy-gateway-default', websocketRoutes: 1, upgradesTotal: 4000 },
        },
        {
          code: 'websocket-buffer-limit-low',
          entity: 'home/eg/https',
          severity: 'warning',
          evidence: { limitBytes: 32768, limitSource: 'envoy-gateway-default' },
        },
      ],
    },
    {
      name: 'explicit small limit without stats: info, source explicit',
      spec: {
        clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 16384 })],
        listeners: [gatewayListener({ bufferLimit: 1048576 })],
        routeConfigs: [routeConfig('home/eg/https', [C])],
      },
      want: [{ code: 'websocket-buffer-limit-low', entity: C, severity: 'info', evidence: { limitBytes: 16384, limitSource: 'explicit' } }],
    },
    {
      name: 'no upgrade configured anywhere: not a WebSocket path',
      spec: {
        clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 32768 })],
        listeners: [gatewayListener({ bufferLimit: 32768, upgrade: false })],
        routeConfigs: [routeConfig('home/eg/https', [C])],
      },
      want: [],
    },
    {
      name: 'route-level upgrade_configs enable WebSockets where the connection manager does not',
      spec: {
        clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 32768 })],
        listeners: [gatewayListener({ bufferLimit: 2097152, upgrade: false })],
        routeConfigs: [routeConfig('home/eg/https', [C], { upgrade_configs: [{ upgrade_type: 'websocket' }] })],
      },
      want: [{ code: 'websocket-buffer-limit-low', entity: C, evidence: { limitBytes: 32768 } }],
    },
    {
      name: 'route-level enabled: false turns the connection manager upgrade off',
      spec: {
        clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 32768 })],
        listeners: [gatewayListener({ bufferLimit: 32768 })],
        routeConfigs: [routeConfig('home/eg/https', [C], { upgrade_configs: [{ upgrade_type: 'websocket', enabled: false }] })],
      },
      want: [],
    },
    {
      name: 'a limit of 0 turns watermarks off: not low',
      spec: {
        clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 0 })],
        listeners: [gatewayListener({ bufferLimit: 0 })],
        routeConfigs: [routeConfig('home/eg/https', [C])],
      },
      want: [],
    },
    {
      name: 'limits of 1 MiB and above are fine',
      spec: {
        clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 1048576 })],
        listeners: [gatewayListener({ bufferLimit: 1048576 })],
        routeConfigs: [routeConfig('home/eg/https', [C])],
      },
      want: [],
    },
  ];
  for (const c of cases) it(c.name, () => expectFindings(analyze(fixture(c.spec)), c.want));
});
