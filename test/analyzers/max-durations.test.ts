import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/max-durations.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { clusterStats, type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const P = 'https-10443';
const hcmListener = (common: object) => {
  const l = gatewayListener() as { filter_chains: Array<{ filters: Array<{ typed_config: Record<string, unknown> }> }> };
  const tc = l.filter_chains[0]?.filters[0]?.typed_config;
  if (tc) tc.common_http_protocol_options = common;
  return l;
};
const httpOptions = (common: object) => ({
  typed_extension_protocol_options: {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      common_http_protocol_options: common,
      explicit_http_config: { http_protocol_options: {} },
    },
  },
});
const routes = [routeConfig('home/eg/https', [C])];

describe('max-durations analyzer', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; want: ExpectedFinding[] }> = [
    {
      name: 'max_stream_duration on the connection manager resets streams during the window: warning',
      spec: {
        clusters: [gatewayCluster(C)],
        listeners: [hcmListener({ max_stream_duration: '600s' })],
        routeConfigs: routes,
        stats: httpStats(P, { downstream_cx_max_duration_reached: 0, downstream_rq_max_duration_reached: 140, downstream_cx_upgrades_total: 900 }),
        statsLater: httpStats(P, { downstream_cx_max_duration_reached: 0, downstream_rq_max_duration_reached: 146, downstream_cx_upgrades_total: 912 }),
        intervalSeconds: 30,
      },
      want: [
        {
          code: 'max-duration-reached',
          entity: P,
          severity: 'warning',
          evidence: {
            side: 'downstream',
            rqMaxDurationReached: 146,
            windowRqMaxDurationReached: 6,
            cxMaxDurationReached: 0,
            maxStreamDurationMs: 600000,
            upgradesTotal: 912,
            windowSeconds: 30,
          },
        },
      ],
    },
    {
      name: 'cluster max_connection_duration reached: connections drain, open sessions survive: info',
      spec: {
        clusters: [gatewayCluster(C, httpOptions({ max_connection_duration: '300s' }))],
        listeners: [gatewayListener()],
        routeConfigs: routes,
        stats: clusterStats(C, { upstream_cx_max_duration_reached: 25, upstream_rq_max_duration_reached: 0 }),
      },
      want: [
        {
          code: 'max-duration-reached',
          entity: C,
          severity: 'info',
          evidence: { side: 'upstream', cxMaxDurationReached: 25, rqMaxDurationReached: 0, maxConnectionDurationMs: 300000 },
        },
      ],
    },
    {
      name: 'upstream streams reset at max duration, one sample: warning',
      spec: {
        clusters: [gatewayCluster(C)],
        listeners: [gatewayListener()],
        routeConfigs: routes,
        stats: clusterStats(C, { upstream_rq_max_duration_reached: 7 }),
      },
      want: [{ code: 'max-duration-reached', entity: C, severity: 'warning', evidence: { rqMaxDurationReached: 7 } }],
    },
    {
      name: 'resets that did not move during the window are history: info',
      spec: {
        clusters: [gatewayCluster(C)],
        listeners: [gatewayListener()],
        routeConfigs: routes,
        stats: httpStats(P, { downstream_rq_max_duration_reached: 9 }),
        statsLater: httpStats(P, { downstream_rq_max_duration_reached: 9 }),
        intervalSeconds: 30,
      },
      want: [{ code: 'max-duration-reached', entity: P, severity: 'info', evidence: { windowRqMaxDurationReached: 0 } }],
    },
    {
      name: 'all zero: nothing',
      spec: {
        clusters: [gatewayCluster(C)],
        listeners: [gatewayListener()],
        routeConfigs: routes,
        stats: {
          ...clusterStats(C, { upstream_cx_max_duration_reached: 0, upstream_rq_max_duration_reached: 0 }),
          ...httpStats(P, { downstream_cx_max_duration_reached: 0, downstream_rq_max_duration_reached: 0 }),
        },
      },
      want: [],
    },
  ];
  for (const c of cases) it(c.name, () => expectFindings(analyze(fixture(c.spec)), c.want));
});
