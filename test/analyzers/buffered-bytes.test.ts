import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/buffered-bytes.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { clusterStats, type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';

describe('buffered-bytes analyzer', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; want: ExpectedFinding[] }> = [
    {
      name: 'the incident: 453000 bytes over 67 connections against 32 KiB is 13.82 full buffers',
      spec: {
        clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 32768 })],
        stats: clusterStats(C, { upstream_cx_rx_bytes_buffered: 453000, upstream_cx_tx_bytes_buffered: 0, upstream_cx_active: 67 }),
      },
      want: [
        {
          code: 'upstream-bytes-buffered',
          entity: C,
          severity: 'warning',
          evidence: { bufferedBytes: 453000, fullBuffers: 13.82, bytesPerConnection: 6761, limitBytes: 32768, limitSource: 'envoy-gateway-default' },
        },
      ],
    },
    {
      name: 'Envoy default 1 MiB applies when the cluster sets no limit',
      spec: { clusters: [gatewayCluster(C)], stats: clusterStats(C, { upstream_cx_rx_bytes_buffered: 453000, upstream_cx_active: 67 }) },
      want: [],
    },
    {
      name: 'a few hundred bytes is no finding',
      spec: {
        clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 32768 })],
        stats: clusterStats(C, { upstream_cx_rx_bytes_buffered: 106, upstream_cx_active: 3 }),
      },
      want: [],
    },
    {
      name: 'average per connection at the limit is an error',
      spec: {
        clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 32768 })],
        stats: clusterStats(C, { upstream_cx_rx_bytes_buffered: 70000, upstream_cx_active: 2 }),
      },
      want: [{ code: 'upstream-bytes-buffered', entity: C, severity: 'error', evidence: { bytesPerConnection: 35000, perConnectionShareOfLimit: 1.0681 } }],
    },
    {
      name: 'downstream gauges against the listener limit',
      spec: {
        clusters: [gatewayCluster(C)],
        listeners: [gatewayListener({ bufferLimit: 32768 })],
        routeConfigs: [routeConfig('home/eg/https', [C])],
        stats: httpStats('https-10443', { downstream_cx_tx_bytes_buffered: 131072, downstream_cx_rx_bytes_buffered: 0, downstream_cx_active: 10 }),
      },
      want: [
        {
          code: 'downstream-bytes-buffered',
          entity: 'https-10443',
          severity: 'warning',
          evidence: { fullBuffers: 4, limitBytes: 32768, txBufferedBytes: 131072 },
        },
      ],
    },
    {
      name: 'no gauges: unknown, no finding',
      spec: { clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 32768 })], stats: clusterStats(C, { upstream_cx_active: 67 }) },
      want: [],
    },
  ];
  for (const c of cases) it(c.name, () => expectFindings(analyze(fixture(c.spec)), c.want));
});
