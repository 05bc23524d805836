import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/circuit-breakers.ts';
import { proposedThreshold, rootCause as rule } from '../../src/diagnose/root-causes/circuit-breaker-saturation.ts';
import { clusterStats, type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const config = { clusters: [gatewayCluster(C)], listeners: [gatewayListener()], routeConfigs: [routeConfig('home/eg/https', [C])] };
const gauges = (cx: number, rq: number) => ({ 'circuit_breakers.default.cx_open': cx, 'circuit_breakers.default.rq_open': rq, 'circuit_breakers.default.rq_pending_open': 0 });

function diagnose(spec: FixtureSpec) {
  const s = fixture(spec);
  return rule.diagnose(s, analyze(s));
}

describe('circuit-breaker-saturation rule', () => {
  it('breakers open, overflows in the window, 1024 WebSockets holding 1024 connections: error, high, every explanation', () => {
    const at = (overflow: number) => ({
      ...clusterStats(C, { ...gauges(1, 1), upstream_cx_overflow: overflow, upstream_rq_pending_overflow: overflow / 10, upstream_cx_active: 1024, upstream_rq_active: 1024 }),
      ...httpStats('https-10443', { downstream_cx_upgrades_active: 1021, downstream_rq_ws_on_non_ws_route: 0 }),
    });
    const [rc, ...rest] = diagnose({ ...config, stats: at(300), statsLater: at(400), intervalSeconds: 30 });
    assert.equal(rest.length, 0);
    assert.equal(rc?.id, 'circuit-breaker-saturation');
    assert.equal(rc?.severity, 'error');
    assert.equal(rc?.confidence, 'high');
    assert.equal(rc?.score, 1);
    assert.deepEqual(rc?.entities, [{ kind: 'cluster', name: C }]);
    assert.deepEqual(rc?.explains.map((e) => e.code), ['websockets-hold-connections', 'circuit-breaker-open-now', 'overflows-in-window', 'active-at-threshold']);
    assert.deepEqual(rc?.explains[0]?.values, { upgradesActive: 1021, activeConnections: 1024, maxConnections: 1024 });
    assert.deepEqual(rc?.explains[2]?.values, { windowCxOverflow: 100, windowRqPendingOverflow: 10, windowSeconds: 30 });
    assert.deepEqual(rc?.explains[3]?.values, { active: 1024, threshold: 1024, kind: 'connections' });
    assert.deepEqual(rc?.checks.map((c) => `${c.hypothesis}:${c.verdict}`), ['websocket-upgrade-disabled:ruled-out']);
    assert.deepEqual(rc?.changes, [{ kind: 'cluster-circuit-breakers', cluster: 'httproute/home/app/rule/0', maxConnections: 4096, maxPendingRequests: 4096, maxRequests: 4096 }]);
  });

  it('one sample with overflow totals only: warning, low', () => {
    const [rc] = diagnose({ ...config, stats: clusterStats(C, { ...gauges(0, 0), upstream_cx_overflow: 12, upstream_rq_pending_overflow: 0, upstream_cx_active: 400 }) });
    assert.equal(rc?.severity, 'warning');
    assert.equal(rc?.score, 0.45);
    assert.equal(rc?.confidence, 'low');
  });

  it('near the limit (95%) with WebSockets holding the connections: a medium-confidence warning', () => {
    const [rc] = diagnose({
      ...config,
      stats: { ...clusterStats(C, { ...gauges(0, 0), upstream_cx_overflow: 0, upstream_rq_pending_overflow: 0, upstream_cx_active: 980, upstream_rq_active: 980 }), ...httpStats('https-10443', { downstream_cx_upgrades_active: 975 }) },
    });
    assert.equal(rc?.severity, 'warning');
    assert.equal(rc?.score, 0.6);
    assert.equal(rc?.confidence, 'medium');
    assert.equal(rc?.evidence[0]?.code, 'circuit-breaker-near-limit');
  });

  it('overflow history that did not move during the window names nothing; neither does a quiet cluster', () => {
    const quiet = clusterStats(C, { ...gauges(0, 0), upstream_cx_overflow: 25, upstream_rq_pending_overflow: 0, upstream_cx_active: 10 });
    assert.deepEqual(diagnose({ ...config, stats: quiet, statsLater: quiet, intervalSeconds: 30 }), []);
    assert.deepEqual(diagnose({ ...config, stats: clusterStats(C, { ...gauges(0, 0), upstream_cx_overflow: 0, upstream_rq_pending_overflow: 0, upstream_cx_active: 10 }) }), []);
  });

  it('proposed thresholds: the next power of two at or above four times the larger of threshold and use', () => {
    assert.equal(proposedThreshold(1024), 4096);
    assert.equal(proposedThreshold(1024, 1500), 8192);
    assert.equal(proposedThreshold(5000), 32768);
  });
});
