import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/idle-timeouts.ts';
import type { Finding } from '../../src/model/finding.ts';
import { rootCause as rule } from '../../src/diagnose/root-causes/stream-idle-timeout.ts';
import { clusterStats, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const R = `${C}/match/0`;
const P = 'https-10443';
const config = { clusters: [gatewayCluster(C)], listeners: [gatewayListener()], routeConfigs: [routeConfig('home/eg/https', [C])] };
const zeroes = {
  ...clusterStats(C, { upstream_rq_timeout: 0, upstream_cx_max_duration_reached: 0, upstream_rq_max_duration_reached: 0 }),
  ...httpStats(P, { downstream_cx_max_duration_reached: 0, downstream_rq_max_duration_reached: 0, downstream_cx_upgrades_total: 900, downstream_cx_upgrades_active: 40 }),
};
const band = (flag: string, timer: string | null, lowMs: number): Finding => ({
  code: 'upgraded-sessions-end-together',
  severity: 'warning',
  snapshot: 'proxy-0',
  entity: { kind: 'route', name: R },
  evidence: { count: 40, flag, agent: 'browser', lowMs, highMs: lowMs + 4000, medianMs: lowMs + 1500, cluster: C, timer, ...(timer ? { timerMs: 300000 } : {}) },
});

function run(later: Record<string, number>, extra: Finding[] = []) {
  const s = fixture({ ...config, stats: { ...zeroes, [`http.${P}.downstream_rq_idle_timeout`]: 100 }, statsLater: { ...zeroes, ...later }, intervalSeconds: 30 });
  return rule.diagnose(s, [...analyze(s), ...extra]);
}

describe('stream-idle-timeout rule', () => {
  it('idle timeouts rising where WebSockets flow: medium confidence, on the connection manager and its listener', () => {
    const [rc, more] = run({ [`http.${P}.downstream_rq_idle_timeout`]: 108 });
    assert.equal(more, undefined);
    assert.equal(rc?.id, 'stream-idle-timeout');
    assert.equal(rc?.confidence, 'medium');
    assert.equal(rc?.score, 0.6);
    assert.equal(rc?.severity, 'warning');
    assert.deepEqual(rc?.entities, [
      { kind: 'connection-manager', name: P },
      { kind: 'listener', name: 'home/eg/https' },
    ]);
    assert.deepEqual(rc?.explains.map((e) => e.code), ['idle-timeout-ends-quiet-streams', 'stream-idle-timeouts-in-window']);
    assert.equal(rc?.explains[0]?.values.effectiveIdleTimeoutMs, 300000);
    assert.deepEqual(
      rc?.checks.map((c) => `${c.hypothesis}:${c.verdict}`),
      ['route-timeout-on-upgrade:ruled-out', 'connection-max-duration:ruled-out', 'circuit-breaker-saturation:unknown', 'websocket-upgrade-disabled:unknown'],
    );
    assert.deepEqual(rc?.changes, [{ kind: 'listener-stream-idle-timeout', listener: 'home/eg/https', ms: 3_600_000 }]);
  });

  it('upgraded sessions ending with SI at the configured timeout make it high confidence, an error', () => {
    const [rc] = run({ [`http.${P}.downstream_rq_idle_timeout`]: 108 }, [band('SI', 'stream-idle-timeout', 300400)]);
    assert.equal(rc?.confidence, 'high');
    assert.equal(rc?.score, 1);
    assert.equal(rc?.severity, 'error');
    assert.ok(rc?.entities.some((e) => e.kind === 'route' && e.name === R));
    assert.deepEqual(rc?.explains.at(-1), {
      code: 'upgraded-sessions-end-at-idle-timeout',
      values: { count: 40, flag: 'SI', lowMs: 300400, highMs: 304400, medianMs: 301900, timerMs: 300000 },
    });
  });

  it('an SI band alone (no counter movement) still names it at medium confidence', () => {
    const [rc] = run({ [`http.${P}.downstream_rq_idle_timeout`]: 100 }, [band('SI', null, 300400)]);
    assert.equal(rc?.confidence, 'medium');
    assert.equal(rc?.score, 0.55);
  });

  it('totals that did not move and no band: nothing', () => {
    assert.deepEqual(run({ [`http.${P}.downstream_rq_idle_timeout`]: 100 }), []);
  });

  it('a band of upstream closes (UC) is not an idle timeout', () => {
    assert.deepEqual(run({ [`http.${P}.downstream_rq_idle_timeout`]: 100 }, [band('UC', 'aiohttp-heartbeat-home-assistant', 82500)]), []);
  });
});
