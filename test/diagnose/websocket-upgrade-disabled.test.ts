import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/upgrade-rejections.ts';
import { rootCause as rule } from '../../src/diagnose/root-causes/websocket-upgrade-disabled.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import { type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const R = `${C}/match/0/x`;
const config = {
  clusters: [gatewayCluster(C)],
  listeners: [gatewayListener({ upgrade: false })],
  routeConfigs: [{ name: 'home/eg/https', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ name: R, match: { prefix: '/' }, route: { cluster: C, upgrade_configs: [{ upgrade_type: 'websocket', enabled: false }] } }] }] }],
};
const refusal: AccessLogEntry = { responseCode: 403, responseCodeDetails: 'upgrade_failed', responseFlags: [], routeName: R, method: 'GET' };

function diagnose(spec: FixtureSpec, log?: AccessLogEntry[]) {
  const s = fixture(spec);
  if (log) s.accessLog = { source: 'access.log', entries: log, skipped: 0 };
  return rule.diagnose(s, analyze(s));
}

describe('websocket-upgrade-disabled rule', () => {
  it('refusals during the window and the access log naming a disabled route: error, high', () => {
    const [rc, ...rest] = diagnose(
      {
        ...config,
        stats: httpStats('https-10443', { downstream_rq_ws_on_non_ws_route: 40 }),
        statsLater: httpStats('https-10443', { downstream_rq_ws_on_non_ws_route: 52 }),
        intervalSeconds: 30,
      },
      [refusal, refusal, refusal, refusal],
    );
    assert.equal(rest.length, 0);
    assert.equal(rc?.id, 'websocket-upgrade-disabled');
    assert.equal(rc?.severity, 'error');
    assert.equal(rc?.confidence, 'high');
    assert.equal(rc?.score, 1);
    assert.deepEqual(rc?.entities, [
      { kind: 'route', name: R },
      { kind: 'connection-manager', name: 'https-10443' },
    ]);
    assert.deepEqual(rc?.explains, [
      { code: 'upgrades-refused', values: { refused: 52, windowRefused: 12, windowSeconds: 30, connectionManager: 'https-10443' } },
      { code: 'route-upgrade-disabled', values: { route: R, refused: 4, connectionManager: 'https-10443' } },
    ]);
    assert.deepEqual(rc?.changes, [{ kind: 'route-websocket-upgrade', route: 'httproute/home/app/rule/0/match/0/x' }]);
  });

  it('the stat alone during a window: error, medium', () => {
    const [rc] = diagnose({
      ...config,
      stats: httpStats('https-10443', { downstream_rq_ws_on_non_ws_route: 40 }),
      statsLater: httpStats('https-10443', { downstream_rq_ws_on_non_ws_route: 41 }),
      intervalSeconds: 30,
    });
    assert.equal(rc?.severity, 'error');
    assert.equal(rc?.score, 0.6);
    assert.equal(rc?.confidence, 'medium');
  });

  it('the access log alone, route without any upgrade: warning, medium', () => {
    const noUpgrade = { ...config, routeConfigs: [{ name: 'home/eg/https', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ name: R, match: { prefix: '/' }, route: { cluster: C } }] }] }] };
    const [rc] = diagnose(noUpgrade, [refusal, refusal, refusal]);
    assert.equal(rc?.score, 0.6);
    assert.equal(rc?.severity, 'warning');
    assert.equal(rc?.explains[0]?.code, 'route-upgrade-not-configured');
  });

  it('refusals that did not move during the window, or a single refusal in the log, name nothing', () => {
    const old = httpStats('https-10443', { downstream_rq_ws_on_non_ws_route: 40 });
    assert.deepEqual(diagnose({ ...config, stats: old, statsLater: old, intervalSeconds: 30 }, [refusal]), []);
  });
});
