import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/upgrade-route-timeouts.ts';
import type { Finding } from '../../src/model/finding.ts';
import { rootCause as rule } from '../../src/diagnose/root-causes/route-timeout-on-upgrade.ts';
import { clusterStats, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const R = `${C}/match/0`;
const P = 'https-10443';
const config = (minor: number, timeout = '3s') => ({
  bootstrap: { node: { cluster: 'home/eg', user_agent_build_version: { version: { major_number: 1, minor_number: minor, patch: 1 } } } },
  clusters: [gatewayCluster(C)],
  listeners: [gatewayListener()],
  routeConfigs: [routeConfig('home/eg/https', [C], { timeout })],
});
const zeroes = {
  ...clusterStats(C, { upstream_cx_max_duration_reached: 0, upstream_rq_max_duration_reached: 0 }),
  ...httpStats(P, { downstream_rq_idle_timeout: 0, downstream_cx_max_duration_reached: 0, downstream_rq_max_duration_reached: 0, downstream_cx_upgrades_total: 600 }),
};
const utBand = (lowMs: number, timer: string | null): Finding => ({
  code: 'upgraded-sessions-end-together',
  severity: 'warning',
  snapshot: 'proxy-0',
  entity: { kind: 'route', name: R },
  evidence: { count: 25, flag: 'UT', agent: 'browser', lowMs, highMs: lowMs + 200, medianMs: lowMs + 50, cluster: C, timer, ...(timer ? { timerMs: 3000 } : {}) },
});

function run(minor: number, before: number, after: number, extra: Finding[] = []) {
  const s = fixture({
    ...config(minor),
    stats: { ...zeroes, [`cluster.${C}.upstream_rq_timeout`]: before },
    statsLater: { ...zeroes, [`cluster.${C}.upstream_rq_timeout`]: after },
    intervalSeconds: 30,
  });
  return rule.diagnose(s, [...analyze(s), ...extra]);
}

describe('route-timeout-on-upgrade rule', () => {
  it('Envoy 1.36 with route timeouts rising on a WebSocket route: medium confidence, route and cluster', () => {
    const [rc] = run(36, 40, 52);
    assert.equal(rc?.id, 'route-timeout-on-upgrade');
    assert.equal(rc?.confidence, 'medium');
    assert.equal(rc?.score, 0.6);
    assert.equal(rc?.severity, 'warning');
    assert.deepEqual(rc?.entities, [
      { kind: 'route', name: R },
      { kind: 'cluster', name: C },
    ]);
    assert.deepEqual(rc?.explains[0], { code: 'route-timeout-fails-upgrade-handshakes', values: { envoyVersion: '1.36.1', timeoutMs: 3000, upstreamRqTimeout: 52, cluster: C } });
    assert.deepEqual(rc?.explains[1]?.values, { windowUpstreamRqTimeout: 12, windowSeconds: 30, cluster: C });
    assert.deepEqual(
      rc?.checks.map((c) => `${c.hypothesis}:${c.verdict}`),
      ['stream-idle-timeout:ruled-out', 'connection-max-duration:ruled-out', 'circuit-breaker-saturation:unknown', 'websocket-upgrade-disabled:unknown'],
    );
    assert.deepEqual(rc?.changes, [{ kind: 'route-timeout', route: 'httproute/home/app/rule/0/match/0', ms: 0 }]);
  });

  it('Envoy 1.35 does not apply the route timeout to upgrades: the same counters name nothing', () => {
    assert.deepEqual(run(35, 40, 52), []);
  });

  it('upgraded sessions ending with UT at the route timeout: high confidence, an error, whatever the version', () => {
    const [rc] = run(35, 40, 52, [utBand(3010, 'route-timeout')]);
    assert.equal(rc?.confidence, 'high');
    assert.equal(rc?.score, 0.8);
    assert.equal(rc?.severity, 'error');
    assert.deepEqual(rc?.explains[0], { code: 'upgraded-sessions-end-at-route-timeout', values: { count: 25, lowMs: 3010, highMs: 3210, timeoutMs: 3000 } });
  });

  it('a UT band far from the route timeout is not this root cause', () => {
    assert.deepEqual(run(35, 40, 40, [utBand(45000, null)]), []);
  });

  it('timeouts that did not move during the window: nothing', () => {
    assert.deepEqual(run(36, 52, 52), []);
  });
});
