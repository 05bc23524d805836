// Assertions on findings by code, entity, severity and numbers; never on prose.

import assert from 'node:assert/strict';
import type { EvidenceValue, Finding } from '../../src/model/finding.ts';

/** What a test expects of one finding. */
export interface ExpectedFinding {
  code: string;
  entity: string;
  severity?: Finding['severity'];
  evidence?: Record<string, EvidenceValue>;
}

/** Asserts exactly the expected findings, in order. */
export function expectFindings(got: Finding[], want: ExpectedFinding[]): void {
  assert.deepEqual(
    got.map((f) => `${f.code} ${f.entity.name}`),
    want.map((w) => `${w.code} ${w.entity}`),
  );
  want.forEach((w, i) => {
    const f = got[i] as Finding;
    if (w.severity) assert.equal(f.severity, w.severity, `${w.code} ${w.entity} severity`);
    for (const [k, v] of Object.entries(w.evidence ?? {})) assert.equal(f.evidence[k], v, `${w.code} ${w.entity} ${k}`);
  });
}
