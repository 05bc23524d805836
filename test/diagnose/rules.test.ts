import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnose } from '../../src/cli/diagnosis.ts';
import type { Diagnosed } from '../../src/model/finding.ts';
import { type ExpectedRootCause, expectRootCause } from '../helpers/root-cause.ts';
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

interface Case {
  name: string;
  spec: FixtureSpec;
  /** The root cause named first, as expected. */
  first?: ExpectedRootCause;
  /** The root cause named at any rank, as expected. */
  named?: ExpectedRootCause;
  /** `absent`: this root cause is not named; `nothing`: no root cause is. */
  not?: 'absent' | 'nothing';
}

/** One `it` a case: what the whole diagnosis of its fixture names, against root cause `id`. */
function itNames(id: string, cases: Case[]): void {
  for (const c of cases) {
    it(c.name, async () => {
      const causes = (await diagnose([fixture(c.spec)])).rootCauses;
      const named = causes.find((r) => r.id === id);
      if (c.first) expectRootCause(causes[0], id, c.first);
      if (c.named) expectRootCause(named, id, c.named);
      if (c.not === 'absent') assert.equal(named, undefined);
      if (c.not === 'nothing') assert.deepEqual(causes, []);
    });
  }
}

const stalledNow = { ...config, stats: { ...zeroes, ...stalled } };
const hasEvidence = (code: string, entity?: string) => (rc: Diagnosed) =>
  assert.ok(rc.evidence.some((f) => f.code === code && (entity === undefined || f.entity.name === entity)));

describe('flow-control-stall', () => {
  const drained = { ...zeroes, ...stalled, [`cluster.${C}.upstream_cx_rx_bytes_buffered`]: 0 };
  const altConfig = { ...config, clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 32768, alt_stat_name: 'app_stats' })] };
  const altStats = Object.fromEntries(Object.entries({ ...zeroes, ...stalled }).map(([k, v]) => [k.replace(`cluster.${C}.`, 'cluster.app_stats.'), v]));
  itNames('flow-control-stall', [
    {
      name: 'paused reads, full buffers and upstream closes name it with high confidence, cluster first',
      spec: stalledNow,
      first: {
        confidence: 'high',
        entities: [
          { kind: 'cluster', name: C },
          { kind: 'listener', name: 'home/eg/https' },
        ],
        // The listener's limit only: the cluster's does not move the pause (docs/lab.md).
        changes: [{ kind: 'listener-buffer-limit', listener: 'home/eg/https', bytes: 1048576 }],
        checks: [
          'stream-idle-timeout:ruled-out',
          'route-timeout-on-upgrade:ruled-out',
          'connection-max-duration:ruled-out',
          'circuit-breaker-saturation:ruled-out',
          'websocket-upgrade-disabled:ruled-out',
        ],
      },
    },
    {
      name: 'a competing timer that fired is reported as also possible, not ruled out',
      spec: { ...config, stats: { ...zeroes, ...stalled, 'http.https-10443.downstream_rq_idle_timeout': 12 } },
      first: { hypotheses: { 'stream-idle-timeout': { verdict: 'possible', evidence: { downstreamRqIdleTimeout: 12 } } } },
    },
    {
      name: 'absent stats leave hypotheses unknown, naming the stats in Envoy form',
      spec: { ...config, stats: stalled },
      first: { hypotheses: { 'circuit-breaker-saturation': { verdict: 'unknown', missingIncludes: `cluster.${C}.circuit_breakers.default.cx_open` } } },
    },
    {
      name: 'a cluster no connection manager routes to: timers on the connection manager are unknown, not ruled out',
      spec: { bootstrap: config.bootstrap, clusters: config.clusters, stats: { ...zeroes, ...stalled } },
      first: { hypotheses: { 'stream-idle-timeout': { verdict: 'unknown' } } },
    },
    {
      name: 'totals that did not move during the window, with the buffers drained, are history: no stall named',
      spec: { ...config, stats: drained, statsLater: drained, intervalSeconds: 30 },
      not: 'absent',
    },
    {
      name: "pauses held through the window with full buffers are a stall now (the lab's stalled clients)",
      spec: { ...stalledNow, statsLater: stalledNow.stats, intervalSeconds: 30 },
      named: { firstEntity: { kind: 'cluster', name: C }, more: hasEvidence('upstream-bytes-buffered') },
    },
    {
      name: 'pauses matched by resumes: no stall',
      spec: {
        ...config,
        stats: { ...zeroes, ...clusterStats(C, { upstream_flow_control_paused_reading_total: 90, upstream_flow_control_resumed_reading_total: 90 }) },
      },
      not: 'absent',
    },
    {
      name: 'alt_stat_name: stats under another name still join the cluster and its evidence',
      spec: { ...altConfig, stats: altStats },
      first: {
        firstEntity: { kind: 'cluster', name: C },
        more: (rc) => {
          hasEvidence('upstream-close-with-active-request', C)(rc);
          hasEvidence('upstream-bytes-buffered', C)(rc);
        },
      },
    },
  ]);
});

describe('missing-tcp-keepalive', () => {
  const internal = { ...(gatewayListener() as Record<string, unknown>), internal_listener: {} };
  itNames('missing-tcp-keepalive', [
    {
      name: 'WebSocket traffic without keepalive names it, with keepalive changes for the cluster and listener',
      spec: { ...config, stats: zeroes },
      named: { severity: 'warning', changeKinds: ['cluster-tcp-keepalive', 'listener-tcp-keepalive'] },
    },
    { name: 'config alone (no sign of upgrades in use) names nothing', spec: config, not: 'nothing' },
    {
      name: 'internal listeners own no socket and are not judged',
      spec: { ...config, clusters: [gatewayCluster(C, { upstream_connection_options: { tcp_keepalive: {} } })], listeners: [internal], stats: zeroes },
      not: 'absent',
    },
  ]);
});
