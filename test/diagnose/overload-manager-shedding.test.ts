import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/overload-manager.ts';
import { analyze as idleTimeouts } from '../../src/analyzers/idle-timeouts.ts';
import { proposedConnectionLimit, proposedMaxHeap, rootCause } from '../../src/diagnose/root-causes/overload-manager-shedding.ts';
import { rootCause as streamIdleTimeout } from '../../src/diagnose/root-causes/stream-idle-timeout.ts';
import type { FixChange } from '../../src/model/finding.ts';
import { type ExpectedRootCause, expectNamed } from '../helpers/root-cause.ts';
import { type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const P = 'https-10443';
const L = 'home/eg/https';
const MIB = 1_048_576;
const FIXED_HEAP = 'envoy.resource_monitors.fixed_heap';
const GLOBAL_CX = 'envoy.resource_monitors.global_downstream_max_connections';

const heapManager = {
  resource_monitors: [{ name: FIXED_HEAP, typed_config: { max_heap_size_bytes: String(12 * MIB) } }],
  actions: [
    {
      name: 'envoy.overload_actions.reduce_timeouts',
      triggers: [{ name: FIXED_HEAP, scaled: { scaling_threshold: 0.7, saturation_threshold: 0.9 } }],
      typed_config: { timer_scale_factors: [{ timer: 'HTTP_DOWNSTREAM_STREAM_IDLE', min_timeout: '1s' }] },
    },
    { name: 'envoy.overload_actions.stop_accepting_requests', triggers: [{ name: FIXED_HEAP, threshold: { value: 0.95 } }] },
  ],
};
const connectionsManager = { resource_monitors: [{ name: GLOBAL_CX, typed_config: { max_active_downstream_connections: 4 } }] };

const overload = (stats: Record<string, number>) => Object.fromEntries(Object.entries(stats).map(([k, v]) => [`overload.${k}`, v]));
const listenerStats = (stats: Record<string, number>) => Object.fromEntries(Object.entries(stats).map(([k, v]) => [`listener.0.0.0.0_10443.${k}`, v]));
const SATURATED = overload({
  'envoy.resource_monitors.fixed_heap.pressure': 115,
  'envoy.overload_actions.reduce_timeouts.scale_percent': 100,
  'envoy.overload_actions.stop_accepting_requests.scale_percent': 100,
});

const base = (bootstrap: object): FixtureSpec => ({
  clusters: [gatewayCluster(C)],
  listeners: [gatewayListener({ hcm: { stream_idle_timeout: '300s' } })],
  routeConfigs: [routeConfig(L, [C])],
  bootstrap,
  intervalSeconds: 1,
});

interface Case {
  name: string;
  spec: FixtureSpec;
  want: (ExpectedRootCause & { entityNames: string[]; changes: FixChange[] }) | undefined;
}

describe('overload-manager-shedding root cause', () => {
  const cases: Case[] = [
    {
      name: 'the lab: the heap past its thresholds refuses upgrades and cuts idle WebSockets: error, the heap sized for twice its use',
      spec: {
        ...base({ overload_manager: heapManager }),
        stats: {
          ...SATURATED,
          ...httpStats(P, { downstream_rq_overload_close: 60, downstream_rq_idle_timeout: 100, downstream_cx_upgrades_total: 121, downstream_cx_active: 100 }),
        },
        statsLater: {
          ...SATURATED,
          ...httpStats(P, {
            downstream_rq_overload_close: 64,
            downstream_rq_idle_timeout: 121,
            downstream_cx_upgrades_total: 121,
            downstream_cx_active: 100,
            downstream_cx_tx_bytes_buffered: 1024,
          }),
        },
      },
      want: {
        score: 0.95,
        severity: 'error',
        entityNames: [`connection-manager ${P}`],
        explains: ['overload-refuses-upgrades', 'overload-shortens-idle-streams', 'overload-pressure-past-threshold', 'overload-memory-in-connections'],
        // 115% of 12 MiB in use, twice over the 70% threshold: 39.4 MiB, in whole MiB.
        changes: [{ kind: 'overload-max-heap', listener: L, bytes: 40 * MIB }],
      },
    },
    {
      name: 'buffers hold a quarter of the heap in use or more: the buffers are the memory',
      spec: {
        ...base({ overload_manager: heapManager }),
        stats: { ...SATURATED, ...httpStats(P, { downstream_rq_overload_close: 1 }) },
        statsLater: { ...SATURATED, ...httpStats(P, { downstream_rq_overload_close: 3, downstream_cx_active: 8, downstream_cx_tx_bytes_buffered: 8 * MIB }) },
      },
      want: {
        score: 0.75,
        severity: 'error',
        entityNames: [`connection-manager ${P}`],
        explains: ['overload-refuses-upgrades', 'overload-pressure-past-threshold', 'overload-memory-in-buffers'],
        changes: [{ kind: 'overload-max-heap', listener: L, bytes: 40 * MIB }],
      },
    },
    {
      name: 'the global connection limit refusing at accept: the listener, a limit for twice the clients that wanted in',
      spec: {
        ...base({ overload_manager: connectionsManager }),
        stats: listenerStats({ downstream_global_cx_overflow: 8, downstream_cx_active: 4 }),
        statsLater: listenerStats({ downstream_global_cx_overflow: 12, downstream_cx_active: 4 }),
      },
      want: {
        score: 0.75,
        severity: 'error',
        entityNames: [`listener ${L}`],
        explains: ['global-limit-refuses-connections'],
        // 4 open and 4 refused in the window: 8 wanted, twice that.
        changes: [{ kind: 'overload-connection-limit', listener: L, connections: 16 }],
      },
    },
    {
      name: 'refusals counted before the window only: history, nothing named',
      spec: {
        ...base({ overload_manager: connectionsManager }),
        stats: listenerStats({ downstream_global_cx_overflow: 8, downstream_cx_active: 1 }),
        statsLater: listenerStats({ downstream_global_cx_overflow: 8, downstream_cx_active: 1 }),
      },
      want: undefined,
    },
    {
      name: 'the pressure past a threshold with nothing shed: nothing named',
      spec: {
        ...base({ overload_manager: heapManager }),
        stats: overload({ 'envoy.resource_monitors.fixed_heap.pressure': 75, 'envoy.overload_actions.reduce_timeouts.scale_percent': 25 }),
      },
      want: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = fixture(c.spec);
      expectNamed(rootCause.diagnose(s, analyze(s)), 'overload-manager-shedding', c.want);
    });
  }

  it('the idle timeouts reduce_timeouts shortened are not named a stream idle timeout as well', () => {
    const s = fixture({
      ...base({ overload_manager: heapManager }),
      stats: { ...SATURATED, ...httpStats(P, { downstream_rq_idle_timeout: 100, downstream_cx_upgrades_total: 121 }) },
      statsLater: { ...SATURATED, ...httpStats(P, { downstream_rq_idle_timeout: 121, downstream_cx_upgrades_total: 121 }) },
    });
    const findings = [...analyze(s), ...idleTimeouts(s)];
    assert.deepEqual(
      rootCause.diagnose(s, findings).map((r) => r.id),
      ['overload-manager-shedding'],
    );
    assert.deepEqual(streamIdleTimeout.diagnose(s, findings), []);
  });

  it('sizes: the heap for twice its use under the lowest threshold, the connection limit for twice the clients', () => {
    assert.equal(proposedMaxHeap(14_470_349, 70), 40 * MIB);
    assert.equal(proposedMaxHeap(100 * MIB, 95), 211 * MIB);
    assert.equal(proposedConnectionLimit(50_000, 50_000, 1_200), 102_400);
    assert.equal(proposedConnectionLimit(4, 4, 0), 8);
  });
});
