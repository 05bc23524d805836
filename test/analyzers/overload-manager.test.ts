import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/overload-manager.ts';
import { assembleSnapshot, knownEntities } from '../../src/parse/assemble.ts';
import { parseConfigDocument } from '../../src/parse/config-document.ts';
import { parseStatsString } from '../helpers/stats-string.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const P = 'https-10443';
const L = 'home/eg/https';
const ADDRESS = '0.0.0.0_10443';
const MIB = 1_048_576;
const FIXED_HEAP = 'envoy.resource_monitors.fixed_heap';
const GLOBAL_CX = 'envoy.resource_monitors.global_downstream_max_connections';

/** The lab's failing overload manager: fixed_heap, reduce_timeouts scaled 0.7 to 0.9 with a 1 s stream idle floor, stop_accepting_requests at 0.95. */
function heapManager(maxHeap: number, timer: object = { timer: 'HTTP_DOWNSTREAM_STREAM_IDLE', min_timeout: '1s' }): object {
  return {
    resource_monitors: [
      {
        name: FIXED_HEAP,
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig', max_heap_size_bytes: String(maxHeap) },
      },
    ],
    actions: [
      {
        name: 'envoy.overload_actions.reduce_timeouts',
        triggers: [{ name: FIXED_HEAP, scaled: { scaling_threshold: 0.7, saturation_threshold: 0.9 } }],
        typed_config: { '@type': 'type.googleapis.com/envoy.config.overload.v3.ScaleTimersOverloadActionConfig', timer_scale_factors: [timer] },
      },
      { name: 'envoy.overload_actions.stop_accepting_requests', triggers: [{ name: FIXED_HEAP, threshold: { value: 0.95 } }] },
    ],
  };
}

const connectionsManager = (limit: number) => ({
  resource_monitors: [
    {
      name: GLOBAL_CX,
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig',
        max_active_downstream_connections: limit,
      },
    },
  ],
});

const overload = (stats: Record<string, number>) => Object.fromEntries(Object.entries(stats).map(([k, v]) => [`overload.${k}`, v]));
const listenerStats = (stats: Record<string, number>) => Object.fromEntries(Object.entries(stats).map(([k, v]) => [`listener.${ADDRESS}.${k}`, v]));

/** The overload stats of the lab's capture: the heap at 115% of its maximum, both actions saturated. */
const SATURATED = overload({
  'envoy.resource_monitors.fixed_heap.pressure': 115,
  'envoy.overload_actions.reduce_timeouts.scale_percent': 100,
  'envoy.overload_actions.reduce_timeouts.active': 1,
  'envoy.overload_actions.stop_accepting_requests.scale_percent': 100,
  'envoy.overload_actions.stop_accepting_requests.active': 1,
});

const base = (bootstrap?: object) => ({
  clusters: [gatewayCluster(C)],
  listeners: [gatewayListener({ hcm: { stream_idle_timeout: '300s' } })],
  routeConfigs: [routeConfig(L, [C])],
  ...(bootstrap ? { bootstrap } : {}),
});

describe('overload-manager analyzer', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; want: ExpectedFinding[] }> = [
    {
      name: 'the heap past its thresholds: the pressure, 503s while refusing, and idle timeouts reduced to the floor',
      spec: {
        ...base({ overload_manager: heapManager(12 * MIB) }),
        stats: {
          ...SATURATED,
          ...httpStats(P, { downstream_rq_overload_close: 60, downstream_rq_idle_timeout: 100, downstream_cx_upgrades_total: 121, downstream_cx_active: 40 }),
        },
        statsLater: {
          ...SATURATED,
          ...httpStats(P, {
            downstream_rq_overload_close: 64,
            downstream_rq_idle_timeout: 121,
            downstream_cx_upgrades_total: 121,
            downstream_cx_active: 40,
            downstream_cx_tx_bytes_buffered: 65536,
          }),
        },
        intervalSeconds: 1,
      },
      want: [
        {
          code: 'overload-pressure-high',
          entity: 'proxy-0',
          severity: 'warning',
          evidence: {
            monitor: 'fixed_heap',
            pressurePercent: 115,
            thresholdPercent: 70,
            maxHeapBytes: 12 * MIB,
            usedBytes: 14470349,
            actionsActive: 'reduce_timeouts, stop_accepting_requests',
            actionsActiveCount: 2,
            bufferedBytes: 65536,
            connectionsActive: 40,
          },
        },
        {
          code: 'overload-requests-refused',
          entity: P,
          severity: 'warning',
          evidence: {
            refused: 64,
            windowRefused: 4,
            windowSeconds: 1,
            upgradesTotal: 121,
            scalePercent: 100,
            monitor: 'fixed_heap',
            pressurePercent: 115,
            thresholdPercent: 95,
          },
        },
        {
          code: 'overload-idle-timeouts-reduced',
          entity: P,
          severity: 'warning',
          evidence: { idleTimeouts: 121, windowIdleTimeouts: 21, scalePercent: 100, streamIdleTimeoutMs: 300000, floorMs: 1000, reducedToMs: 1000 },
        },
      ],
    },
    {
      name: 'reduce_timeouts part of the way: the timeout between its floor and the configured one; min_scale as a share of it',
      spec: {
        ...base({ overload_manager: heapManager(12 * MIB, { timer: 'HTTP_DOWNSTREAM_STREAM_IDLE', min_scale: { value: 10 } }) }),
        stats: {
          ...overload({
            'envoy.resource_monitors.fixed_heap.pressure': 80,
            'envoy.overload_actions.reduce_timeouts.scale_percent': 50,
            'envoy.overload_actions.stop_accepting_requests.scale_percent': 0,
          }),
          ...httpStats(P, { downstream_rq_idle_timeout: 7 }),
        },
      },
      want: [
        {
          code: 'overload-pressure-high',
          entity: 'proxy-0',
          severity: 'warning',
          evidence: { pressurePercent: 80, thresholdPercent: 70, actionsActive: 'reduce_timeouts', actionsActiveCount: 1 },
        },
        // 30 s + (300 s - 30 s) x (1 - 0.5)
        {
          code: 'overload-idle-timeouts-reduced',
          entity: P,
          severity: 'warning',
          evidence: { floorMs: 30000, reducedToMs: 165000, scalePercent: 50, idleTimeouts: 7 },
        },
      ],
    },
    {
      name: 'the pressure below every threshold and no action scaled: nothing, though idle timeouts fired',
      spec: {
        ...base({ overload_manager: heapManager(1024 * MIB) }),
        stats: {
          ...overload({ 'envoy.resource_monitors.fixed_heap.pressure': 1, 'envoy.overload_actions.reduce_timeouts.scale_percent': 0 }),
          ...httpStats(P, { downstream_rq_idle_timeout: 3, downstream_rq_overload_close: 0 }),
        },
      },
      want: [],
    },
    {
      name: 'refusals that did not move during the window are history: info',
      spec: {
        ...base({ overload_manager: heapManager(12 * MIB) }),
        stats: httpStats(P, { downstream_rq_overload_close: 9 }),
        statsLater: httpStats(P, { downstream_rq_overload_close: 9 }),
        intervalSeconds: 30,
      },
      want: [{ code: 'overload-requests-refused', entity: P, severity: 'info', evidence: { refused: 9, windowRefused: 0 } }],
    },
    {
      name: 'the global connection limit refusing at accept: the monitor limit, the connections open and the refusals',
      spec: {
        ...base({ overload_manager: connectionsManager(4) }),
        stats: { ...listenerStats({ downstream_global_cx_overflow: 8, downstream_cx_active: 4 }), ...overload({ [`${GLOBAL_CX}.failed_updates`]: 9 }) },
        statsLater: { ...listenerStats({ downstream_global_cx_overflow: 12, downstream_cx_active: 4 }), ...overload({ [`${GLOBAL_CX}.failed_updates`]: 13 }) },
        intervalSeconds: 1,
      },
      want: [
        {
          code: 'global-connection-limit-reached',
          entity: L,
          severity: 'warning',
          evidence: { overflow: 12, windowOverflow: 4, limit: 4, limitSource: 'resource monitor', connectionsActive: 4, monitorRefusals: 13 },
        },
      ],
    },
    {
      name: 'the deprecated runtime key as the limit, nested in a static layer',
      spec: {
        ...base({ layered_runtime: { layers: [{ name: 'static', static_layer: { overload: { global_downstream_max_connections: 100 } } }] } }),
        stats: listenerStats({ downstream_global_cx_overflow: 3, downstream_cx_active: 100 }),
      },
      want: [
        {
          code: 'global-connection-limit-reached',
          entity: L,
          severity: 'warning',
          evidence: { limit: 100, limitSource: 'runtime key', connectionsActive: 100 },
        },
      ],
    },
    {
      name: 'connections rejected at accept by the tcp_listener_accept load shed point',
      spec: {
        ...base({
          overload_manager: {
            ...heapManager(12 * MIB),
            loadshed_points: [{ name: 'envoy.load_shed_points.tcp_listener_accept', triggers: [{ name: FIXED_HEAP, threshold: { value: 0.95 } }] }],
          },
        }),
        stats: listenerStats({ downstream_cx_overload_reject: 5 }),
      },
      want: [{ code: 'overload-connections-rejected', entity: L, severity: 'warning', evidence: { rejected: 5, by: 'tcp_listener_accept' } }],
    },
    { name: 'no bootstrap, no overload stats: nothing', spec: { ...base(), stats: httpStats(P, { downstream_rq_overload_close: 0 }) }, want: [] },
  ];
  for (const c of cases) it(c.name, () => expectFindings(analyze(fixture(c.spec)), c.want));

  it("the lab's capture gives the same findings read from /stats and from /stats/prometheus (whose names lose the dots)", async () => {
    const dir = join(import.meta.dirname, '..', 'fixtures', 'lab', 'overload-manager-shedding');
    const config = parseConfigDocument(readFileSync(join(dir, 'config_dump.json')), 'config_dump.json', 'lab')[0];
    const codes = async (file: string) => {
      const stats = await parseStatsString(readFileSync(join(dir, file), 'utf8'), file, knownEntities(config));
      const s = assembleSnapshot({ id: 'lab', ...(config ? { config } : {}), stats, inputs: { stats: file } });
      return analyze(s).map((f) => [f.code, f.entity.name, f.evidence.pressurePercent ?? f.evidence.refused ?? f.evidence.idleTimeouts]);
    };
    const text = await codes('stats.txt');
    assert.deepEqual(
      text.map(([code]) => code),
      ['overload-pressure-high', 'overload-requests-refused', 'overload-idle-timeouts-reduced'],
    );
    assert.deepEqual(await codes('stats.prom'), text);
  });
});
