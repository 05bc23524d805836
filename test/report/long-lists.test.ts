// Long lists in the Markdown report are cut to the first few with a count (`-o json` has them all), and which root
// causes a finding backs is matched through one index, whatever the number of findings.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnosis } from '../../src/diagnose/diagnose.ts';
import type { Finding, RootCause } from '../../src/model/finding.ts';
import { backingIndex } from '../../src/report/incident.ts';
import { renderMarkdown } from '../../src/report/markdown.ts';

function finding(i: number, snapshot = 'p0'): Finding {
  return { code: 'circuit-breaker-overflow', severity: 'warning', snapshot, entity: { kind: 'cluster', name: `c${i}` }, evidence: { cxOverflow: i } };
}

function rootCause(evidence: Finding[], snapshot = 'p0', seenOn = [snapshot]): RootCause {
  const entities = evidence.map((f) => f.entity);
  return {
    id: 'circuit-breaker-saturation',
    severity: 'error',
    confidence: 'high',
    score: 0.9,
    snapshot,
    seenOn,
    entities,
    evidence,
    explains: [],
    checks: [],
    changes: [],
    fixes: [],
  };
}

describe('which root causes a finding backs', () => {
  const a = finding(1);
  const b = finding(2);
  const rcs = [rootCause([a]), rootCause([a, b], 'p1', ['p1', 'p0']), rootCause([b], 'p2')];
  const cases: Array<{ name: string; f: Finding; backs: number[] }> = [
    { name: 'held by two root causes of its proxy (one seen on it through a merge)', f: a, backs: [1, 2] },
    { name: 'held only by a root cause of another proxy', f: finding(2, 'p3'), backs: [] },
    { name: 'same code and entity, other numbers: not the same finding', f: { ...a, evidence: { cxOverflow: 7 } }, backs: [] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(backingIndex(rcs)(c.f), c.backs));
});

describe('the Markdown report on a mesh', () => {
  const findings = Array.from({ length: 250 }, (_, i) => finding(i));
  const d = { snapshots: [], findings, rootCauses: [rootCause(findings)], notCollected: [] } as unknown as Diagnosis;
  const md = renderMarkdown(d, { tool: { name: 'envoy-doctor', version: '0.0.0' }, now: new Date(0) } as never);
  it('names the first 20 entities of a root cause and counts the rest', () => {
    assert.match(md, /On cluster `c0`, cluster `c1`, [^\n]*cluster `c19` and 230 more\./);
  });
  it('lists the first 100 findings and counts the rest', () => {
    assert.equal((md.match(/^\| warning \| `circuit-breaker-overflow` \|/gm) ?? []).length, 100);
    assert.match(md, /… and 150 more findings \(`-o json` lists them all\)\./);
  });
});
