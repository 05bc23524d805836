import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/websocket-alpn.ts';
import { rule } from '../../src/diagnose/rules/alpn-h2-websocket.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import { fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const listener = gatewayListener({ alpn: ['h2', 'http/1.1'] });
const h2Upgrade426: AccessLogEntry = { protocol: 'HTTP/2', method: 'GET', responseCode: 426, responseFlags: [], routeName: `${C}/match/0` };

function diagnose(failures: number, withLog = true) {
  const s = fixture({ clusters: [gatewayCluster(C)], listeners: [listener], routeConfigs: [routeConfig('home/eg/https', [C])], stats: httpStats('https-10443', { downstream_cx_http2_total: 90 }) });
  if (withLog) s.accessLog = { source: 'access.log', entries: Array.from({ length: failures }, () => h2Upgrade426), skipped: 0 };
  return rule.diagnose(s, analyze(s));
}

describe('alpn-h2-websocket rule', () => {
  it('ten or more failed HTTP/2 handshakes: error, high, allow_connect on the listener', () => {
    const [rc, ...rest] = diagnose(12);
    assert.equal(rest.length, 0);
    assert.equal(rc?.id, 'alpn-h2-websocket');
    assert.equal(rc?.severity, 'error');
    assert.equal(rc?.confidence, 'high');
    assert.equal(rc?.score, 0.85);
    assert.deepEqual(rc?.entities, [{ kind: 'listener', name: 'home/eg/https' }]);
    assert.deepEqual(rc?.explains, [
      { code: 'h2-handshakes-fail', values: { listener: 'home/eg/https', alpn: 'h2,http/1.1', h2Failures: 12, h2Rejected426: 12, h2Rejected400: 0, h2ConnectRefused: 0, http2Connections: 90 } },
    ]);
    assert.deepEqual(rc?.changes, [{ kind: 'listener-allow-connect', listener: 'home/eg/https' }]);
  });
  it('a few failed handshakes: warning, medium', () => {
    const [rc] = diagnose(2);
    assert.equal(rc?.severity, 'warning');
    assert.equal(rc?.confidence, 'medium');
    assert.equal(rc?.score, 0.7);
  });
  it('the configuration alone names nothing: with no failures, or no access log to tell', () => {
    assert.deepEqual(diagnose(0), []);
    assert.deepEqual(diagnose(0, false), []);
  });
});
