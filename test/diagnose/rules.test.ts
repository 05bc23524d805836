import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnose } from '../../src/cli/diagnosis.ts';
import { clusterStats, type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const config = {
  bootstrap: { node: { cluster: 'home/eg' } },
  clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 32768 })],
  listeners: [gatewayListener({ bufferLimit: 32768 })],
  routeConfigs: [routeConfig('home/eg/https', [C])],
};
const zeroes = {
  ...clusterStats(C, {
    upstream_rq_timeout: 0,
    upstream_cx_max_duration_reached: 0,
    upstream_rq_max_duration_reached: 0,
    'circuit_breakers.default.cx_open': 0,
    'circuit_breakers.default.rq_open': 0,
    upstream_cx_overflow: 0,
    upstream_rq_pending_overflow: 0,
  }),
  ...httpStats('https-10443', {
    downstream_rq_idle_timeout: 0,
    downstream_cx_max_duration_reached: 0,
    downstream_rq_max_duration_reached: 0,
    downstream_rq_ws_on_non_ws_route: 0,
    downstream_cx_upgrades_total: 500,
  }),
};
const stalled = clusterStats(C, {
  upstream_flow_control_paused_reading_total: 100,
  upstream_flow_control_resumed_reading_total: 90,
  upstream_cx_active: 20,
  upstream_cx_rx_bytes_buffered: 300000,
  upstream_cx_destroy: 400,
  upstream_cx_destroy_remote_with_active_rq: 80,
});

async function rootCauses(spec: FixtureSpec) {
  return (await diagnose([fixture(spec)])).rootCauses;
}

describe('flow-control-stall', () => {
  it('paused reads, full buffers and upstream closes name it with high confidence, cluster first', async () => {
    const [first] = await rootCauses({ ...config, stats: { ...zeroes, ...stalled } });
    assert.equal(first?.id, 'flow-control-stall');
    assert.equal(first?.confidence, 'high');
    assert.deepEqual(first?.entities, [
      { kind: 'cluster', name: C },
      { kind: 'listener', name: 'home/eg/https' },
    ]);
    // The listener's limit only: the cluster's does not move the pause (docs/lab.md).
    assert.deepEqual(first?.changes, [{ kind: 'listener-buffer-limit', listener: 'home/eg/https', bytes: 1048576 }]);
    assert.deepEqual(
      first?.checks.map((c) => `${c.hypothesis}:${c.verdict}`),
      ['stream-idle-timeout:ruled-out', 'route-timeout-on-upgrade:ruled-out', 'connection-max-duration:ruled-out', 'circuit-breaker-saturation:ruled-out', 'websocket-upgrade-disabled:ruled-out'],
    );
  });

  it('a competing timer that fired is reported as also possible, not ruled out', async () => {
    const [first] = await rootCauses({ ...config, stats: { ...zeroes, ...stalled, 'http.https-10443.downstream_rq_idle_timeout': 12 } });
    const idle = first?.checks.find((c) => c.hypothesis === 'stream-idle-timeout');
    assert.equal(idle?.verdict, 'possible');
    assert.equal(idle?.evidence.downstreamRqIdleTimeout, 12);
  });

  it('absent stats leave hypotheses unknown, naming the stats in Envoy form', async () => {
    const [first] = await rootCauses({ ...config, stats: stalled });
    const cb = first?.checks.find((c) => c.hypothesis === 'circuit-breaker-saturation');
    assert.equal(cb?.verdict, 'unknown');
    assert.ok(cb?.missing?.includes(`cluster.${C}.circuit_breakers.default.cx_open`));
  });

  it('a cluster no connection manager routes to: timers on the connection manager are unknown, not ruled out', async () => {
    const [first] = await rootCauses({ bootstrap: config.bootstrap, clusters: config.clusters, stats: { ...zeroes, ...stalled } });
    assert.equal(first?.id, 'flow-control-stall');
    assert.equal(first?.checks.find((c) => c.hypothesis === 'stream-idle-timeout')?.verdict, 'unknown');
  });

  it('totals that did not move during the window, with the buffers drained, are history: no stall named', async () => {
    const drained = { ...zeroes, ...stalled, [`cluster.${C}.upstream_cx_rx_bytes_buffered`]: 0 };
    const causes = await rootCauses({ ...config, stats: drained, statsLater: drained, intervalSeconds: 30 });
    assert.equal(causes.find((r) => r.id === 'flow-control-stall'), undefined);
  });

  it('pauses held through the window with full buffers are a stall now (the lab\'s stalled clients)', async () => {
    const causes = await rootCauses({ ...config, stats: { ...zeroes, ...stalled }, statsLater: { ...zeroes, ...stalled }, intervalSeconds: 30 });
    const rc = causes.find((r) => r.id === 'flow-control-stall');
    assert.deepEqual(rc?.entities[0], { kind: 'cluster', name: C });
    assert.ok(rc?.evidence.some((f) => f.code === 'upstream-bytes-buffered'));
  });

  it('pauses matched by resumes: no stall', async () => {
    const causes = await rootCauses({ ...config, stats: { ...zeroes, ...clusterStats(C, { upstream_flow_control_paused_reading_total: 90, upstream_flow_control_resumed_reading_total: 90 }) } });
    assert.equal(causes.find((r) => r.id === 'flow-control-stall'), undefined);
  });

  it('alt_stat_name: stats under another name still join the cluster and its evidence', async () => {
    const altConfig = { ...config, clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 32768, alt_stat_name: 'app_stats' })] };
    const stats = Object.fromEntries(Object.entries({ ...zeroes, ...stalled }).map(([k, v]) => [k.replace(`cluster.${C}.`, 'cluster.app_stats.'), v]));
    const [first] = await rootCauses({ ...altConfig, stats });
    assert.equal(first?.id, 'flow-control-stall');
    assert.deepEqual(first?.entities[0], { kind: 'cluster', name: C });
    assert.ok(first?.evidence.some((f) => f.code === 'upstream-close-with-active-request' && f.entity.name === C));
    assert.ok(first?.evidence.some((f) => f.code === 'upstream-bytes-buffered' && f.entity.name === C));
  });
});

describe('missing-tcp-keepalive', () => {
  it('WebSocket traffic without keepalive names it, with keepalive changes for the cluster and listener', async () => {
    const causes = await rootCauses({ ...config, stats: zeroes });
    const rc = causes.find((r) => r.id === 'missing-tcp-keepalive');
    assert.equal(rc?.severity, 'warning');
    assert.deepEqual(rc?.changes.map((c) => c.kind), ['cluster-tcp-keepalive', 'listener-tcp-keepalive']);
  });
  it('config alone (no sign of upgrades in use) names nothing', async () => {
    assert.deepEqual(await rootCauses(config), []);
  });
  it('internal listeners own no socket and are not judged', async () => {
    const internal = { ...(gatewayListener() as Record<string, unknown>), internal_listener: {} };
    const causes = await rootCauses({ ...config, clusters: [gatewayCluster(C, { upstream_connection_options: { tcp_keepalive: {} } })], listeners: [internal], stats: zeroes });
    assert.equal(causes.find((r) => r.id === 'missing-tcp-keepalive'), undefined);
  });
});
