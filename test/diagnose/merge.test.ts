// Root causes merged across the pods of one owner as they arrive: one root cause seen on every pod, the strongest
// pod's evidence kept, and the same result whatever order the pods arrive in.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RootCauseMerger } from '../../src/diagnose/diagnose.ts';
import type { RootCause } from '../../src/model/finding.ts';

function rootCause(id: string, snapshot: string, score: number, entity = 'httproute/shop/web/rule/0'): RootCause {
  return {
    id,
    severity: 'error',
    confidence: 'high',
    score,
    snapshot,
    seenOn: [snapshot],
    entities: [{ kind: 'cluster', name: entity }],
    evidence: [],
    explains: [],
    checks: [],
    changes: [],
    fixes: [],
  };
}

const PODS = Array.from({ length: 200 }, (_, i) => `web-${String(i).padStart(3, '0')}`);

describe('merging root causes across pods', () => {
  it('200 pods of one deployment with the same problem read as one root cause seen on 200 pods', () => {
    const merger = new RootCauseMerger();
    PODS.forEach((pod, i) => merger.add([rootCause('flow-control-stall', pod, i === 150 ? 0.9 : 0.5)], 'deployment shop/web', i));
    const [only, ...rest] = merger.result();
    assert.equal(rest.length, 0);
    assert.equal(only?.seenOn.length, 200);
    assert.equal(only?.snapshot, 'web-150', 'the strongest pod is kept');
    assert.equal(only?.seenOn[0], 'web-150');
    assert.deepEqual(
      only?.seenOn.slice(1),
      PODS.filter((p) => p !== 'web-150'),
    );
  });

  it('keeps owners, root causes and entities apart, and never merges proxies without an owner', () => {
    const merger = new RootCauseMerger();
    merger.add([rootCause('flow-control-stall', 'web-0', 0.5), rootCause('missing-tcp-keepalive', 'web-0', 0.4)], 'deployment shop/web', 0);
    merger.add([rootCause('flow-control-stall', 'web-1', 0.5), rootCause('flow-control-stall', 'web-1', 0.5, 'other')], 'deployment shop/web', 1);
    merger.add([rootCause('flow-control-stall', 'api-0', 0.5)], 'deployment shop/api', 2);
    merger.add([rootCause('flow-control-stall', '10.0.0.5:9901', 0.5)], undefined, 3);
    merger.add([rootCause('flow-control-stall', '10.0.0.6:9901', 0.5)], undefined, 4);
    const out = merger.result();
    assert.equal(out.length, 6);
    const web = out.find((r) => r.id === 'flow-control-stall' && r.entities[0]?.name !== 'other' && r.snapshot.startsWith('web'));
    assert.deepEqual(web?.seenOn, ['web-0', 'web-1']);
  });

  it('gives the same result whatever order the pods arrive in', () => {
    const forward = new RootCauseMerger();
    const backward = new RootCauseMerger();
    const score = (i: number) => [0.5, 0.7, 0.7, 0.3][i % 4] as number;
    PODS.forEach((pod, i) => forward.add([rootCause('flow-control-stall', pod, score(i))], 'deployment shop/web', i));
    [...PODS].reverse().forEach((pod, k) => {
      const i = PODS.length - 1 - k;
      backward.add([rootCause('flow-control-stall', pod, score(i))], 'deployment shop/web', i);
    });
    assert.deepEqual(backward.result(), forward.result());
    assert.equal(forward.result()[0]?.snapshot, 'web-001', 'ties go to the earlier pod');
  });
});
