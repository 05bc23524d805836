import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rootCause as rule } from '../../src/diagnose/root-causes/listener-unserved.ts';
import type { Finding } from '../../src/model/finding.ts';
import { fixture } from '../helpers/snapshot.ts';

const s = fixture({ listeners: [{ name: 'other', address: { socket_address: { address: '0.0.0.0', port_value: 80 } } }] });
const rejected = (evidence: Finding['evidence']): Finding => ({ code: 'listener-rejected', severity: 'warning', snapshot: 'proxy-0', entity: { kind: 'listener', name: 'virtualInbound' }, evidence });

describe('listener-unserved rule', () => {
  it('a rejected listener with an address and no active version: error, high, no changes to render', () => {
    const f = rejected({ listener: 'virtualInbound', address: '0.0.0.0_15006', details: 'Proto constraint validation failed', lastUpdateAttempt: '2026-11-30T10:02:03.456Z', stillServing: false });
    const [rc, ...rest] = rule.diagnose(s, [f]);
    assert.equal(rest.length, 0);
    assert.equal(rc?.id, 'listener-unserved');
    assert.equal(rc?.severity, 'error');
    assert.equal(rc?.score, 0.85);
    assert.deepEqual(rc?.entities, [{ kind: 'listener', name: 'virtualInbound' }]);
    assert.deepEqual(rc?.explains, [{ code: 'rejected-listener-not-serving', values: { listener: 'virtualInbound', address: '0.0.0.0_15006', lastUpdateAttempt: '2026-11-30T10:02:03.456Z', details: 'Proto constraint validation failed' } }]);
    assert.deepEqual(rc?.changes, []);
  });
  it('without an address: warning, medium', () => {
    const [rc] = rule.diagnose(s, [rejected({ listener: 'virtualInbound', details: 'x', stillServing: false })]);
    assert.equal(rc?.severity, 'warning');
    assert.equal(rc?.confidence, 'medium');
  });
  it('an earlier version still serves: no root cause, the finding is enough', () => {
    assert.deepEqual(rule.diagnose(s, [rejected({ listener: 'virtualInbound', address: '0.0.0.0_15006', details: 'x', stillServing: true })]), []);
  });
});
