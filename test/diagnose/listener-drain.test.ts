import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/listener-drain.ts';
import { rootCause as rule } from '../../src/diagnose/root-causes/listener-drain.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import { fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const lm = (modified: number, draining: number) => ({
  'listener_manager.listener_modified': modified,
  'listener_manager.listener_removed': 0,
  'listener_manager.listener_in_place_updated': 0,
  'listener_manager.total_listeners_draining': draining,
  'listener_manager.total_filter_chains_draining': 0,
});
const upgrades = httpStats('https-10443', { downstream_cx_upgrades_active: 37 });
const drained: AccessLogEntry = { responseCode: 101, responseFlags: ['DC'], responseCodeDetails: 'downstream_local_disconnect(filter_chain_is_being_removed)', durationMs: 70_000 };

function diagnose(before: ReturnType<typeof lm>, after: ReturnType<typeof lm>, log?: AccessLogEntry[]) {
  const s = fixture({
    clusters: [gatewayCluster(C)],
    listeners: [gatewayListener()],
    routeConfigs: [routeConfig('home/eg/https', [C])],
    stats: { ...upgrades, ...before },
    statsLater: { ...upgrades, ...after },
    intervalSeconds: 30,
  });
  if (log) s.accessLog = { source: 'access.log', entries: log, skipped: 0 };
  return rule.diagnose(s, analyze(s));
}

describe('listener-drain rule', () => {
  it('drain closes in the log, updates in the window, draining now: error, high, a longer drain time', () => {
    const [rc, ...rest] = diagnose(lm(4, 0), lm(6, 1), [drained, drained]);
    assert.equal(rest.length, 0);
    assert.equal(rc?.id, 'listener-drain');
    assert.equal(rc?.severity, 'error');
    assert.equal(rc?.confidence, 'high');
    assert.equal(rc?.score, 1);
    assert.deepEqual(rc?.entities, [{ kind: 'proxy', name: 'proxy-0' }, { kind: 'listener', name: 'home/eg/https' }]);
    assert.deepEqual(rc?.explains.map((e) => e.code), ['drain-closed-upgrades', 'listener-updates-in-window', 'listeners-draining-now']);
    assert.deepEqual(rc?.explains[1]?.values, { windowUpdates: 2, windowSeconds: 30, upgradesActive: 37, drainSeconds: 60 });
    assert.deepEqual(rc?.changes, [{ kind: 'proxy-drain-time', listener: 'home/eg/https', seconds: 600 }]);
  });
  it('updates in the window with WebSockets open, no log: warning, medium', () => {
    const [rc] = diagnose(lm(4, 0), lm(5, 0));
    assert.equal(rc?.score, 0.6);
    assert.equal(rc?.confidence, 'medium');
    assert.equal(rc?.severity, 'warning');
  });
  it('historic updates only name nothing', () => {
    assert.deepEqual(diagnose(lm(4, 0), lm(4, 0)), []);
  });
});
