// Every root cause says how to verify its fix; the checks are filled in from the entities it names and the
// stats the capture read.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CATALOGUE } from '../../src/report/catalogue.ts';
import type { RootCause } from '../../src/model/finding.ts';
import { ROOT_CAUSES, verifyChecksOf } from '../../src/diagnose/root-causes/index.ts';
import { verifySteps } from '../../src/report/verify.ts';
import { fixture } from '../helpers/snapshot.ts';

describe('verify data', () => {
  const active = CATALOGUE.filter((e) => e.kind === 'root-cause' && e.status === 'active').map((e) => e.id);
  for (const id of active) {
    it(`${id}: has checks`, () => {
      assert.ok((verifyChecksOf(id) ?? []).length > 0, `the root-cause module of ${id} declares no verify checks`);
    });
  }
  it('belongs only to active root causes', () => {
    for (const r of ROOT_CAUSES) assert.ok(active.includes(r.id), `${r.id} is an active root cause`);
  });
  it('names stats by their own name, without a scope prefix', () => {
    for (const r of ROOT_CAUSES) for (const c of r.verify) if ('stat' in c) assert.doesNotMatch(c.stat, /^(cluster|http)\./);
  });
});

function rootCause(id: string, entities: RootCause['entities']): RootCause {
  return {
    id,
    severity: 'error',
    confidence: 'high',
    score: 1,
    snapshot: 'proxy-0',
    seenOn: ['proxy-0'],
    entities,
    evidence: [],
    explains: [],
    checks: [],
    changes: [],
    fixes: [],
  };
}

describe('verify steps', () => {
  const snapshot = fixture({
    clusters: [{ name: 'backend', alt_stat_name: 'backend_stats', type: 'STATIC' }],
    stats: { 'cluster.backend_stats.upstream_flow_control_paused_reading_total': 100, 'cluster.backend_stats.upstream_flow_control_resumed_reading_total': 90 },
    statsLater: {
      'cluster.backend_stats.upstream_flow_control_paused_reading_total': 112,
      'cluster.backend_stats.upstream_flow_control_resumed_reading_total': 95,
    },
    intervalSeconds: 30,
  });
  const steps = verifySteps(rootCause('flow-control-stall', [{ kind: 'cluster', name: 'backend' }]), snapshot);

  const cases: Array<{ subject: string; expect: string; now?: number; otherNow?: number; change?: number }> = [
    { subject: 'cluster.backend_stats.upstream_flow_control_paused_reading_total', expect: 'stops-growing', now: 112, change: 12 },
    { subject: 'cluster.backend_stats.upstream_flow_control_paused_reading_total', expect: 'matches', now: 112, otherNow: 95, change: 12 },
  ];
  for (const c of cases) {
    it(`${c.subject} ${c.expect}: read under the cluster's alt_stat_name, with the latest value and the window`, () => {
      const step = steps.find((s) => s.subject === c.subject && s.expect === c.expect);
      assert.ok(step, c.subject);
      assert.equal(step.now, c.now);
      assert.equal(step.otherNow, c.otherNow);
      assert.deepEqual(step.window, c.change === undefined ? undefined : { change: c.change, seconds: 30 });
    });
  }
  it('names the other stat of a matches check in full', () => {
    const step = steps.find((s) => s.expect === 'matches' && s.entity?.kind === 'cluster');
    assert.equal(step?.other, 'cluster.backend_stats.upstream_flow_control_resumed_reading_total');
  });
  it('a scope the root cause names no entity of keeps a placeholder', () => {
    const step = steps.find((s) => s.subject.startsWith('http.'));
    assert.equal(step?.subject, 'http.<stat_prefix>.downstream_flow_control_paused_reading_total');
    assert.equal(step?.entity, undefined);
  });
  it('settings are listed per entity of their scope', () => {
    const settings = steps.filter((s) => s.kind === 'setting');
    assert.deepEqual(
      settings.map((s) => s.entity?.name),
      ['backend', undefined],
    );
  });
});
