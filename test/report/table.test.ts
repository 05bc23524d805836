// The findings table of the table report: one continuous table however many rows, at most MAX_FINDING_ROWS of
// them, and a line that says how many more the other reports list.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnosis } from '../../src/diagnose/diagnose.ts';
import type { Finding } from '../../src/model/finding.ts';
import { MAX_FINDING_ROWS, renderTable } from '../../src/report/table.ts';

function diagnosisWith(count: number): Diagnosis {
  const findings: Finding[] = Array.from({ length: count }, (_, i) => ({
    code: 'optional-read-failed',
    severity: 'info',
    snapshot: 'envoy-0',
    entity: { kind: 'cluster', name: `httproute/default/app-${String(i).padStart(4, '0')}/rule/0` },
    // Long enough to wrap onto several lines in its column.
    evidence: { read: `/clusters of cluster ${i} answered with a body that was cut short after a long while` },
  }));
  return { snapshots: [], findings, rootCauses: [], notCollected: [] };
}

/** The lines of the findings table: from its top border to its bottom border. */
function tableLines(text: string): string[] {
  const lines = text.split('\n');
  const top = lines.findIndex((l) => l.startsWith('┌'));
  const bottom = lines.findIndex((l) => l.startsWith('└'));
  return lines.slice(top, bottom + 1);
}

describe('the findings table', () => {
  const cases = [
    { findings: 3, rows: 3, more: undefined },
    { findings: 250, rows: 250, more: undefined },
    { findings: MAX_FINDING_ROWS + 37, rows: MAX_FINDING_ROWS, more: 37 },
  ];
  for (const c of cases) {
    it(`${c.findings} findings: ${c.rows} rows in one table${c.more ? `, and ${c.more} more named` : ''}`, () => {
      const text = renderTable(diagnosisWith(c.findings), { color: false, width: 100 });
      const lines = tableLines(text);
      // One table: one top and one bottom border, a separator under the header and between every two rows.
      assert.equal(text.split('\n').filter((l) => l.startsWith('┌')).length, 1);
      assert.equal(text.split('\n').filter((l) => l.startsWith('└')).length, 1);
      assert.equal(lines.filter((l) => l.startsWith('├')).length, c.rows);
      const width = lines[0]?.length;
      assert.ok(lines.every((l) => l.length === width), 'every line of the table is as wide as its top border');
      for (const i of [0, c.rows - 1]) assert.ok(text.includes(`app-${String(i).padStart(4, '0')}`), `row ${i} is shown`);
      assert.equal(text.includes(`app-${String(c.rows).padStart(4, '0')}`), false);
      const more = /and (\d+) more findings/.exec(text)?.[1];
      assert.equal(more === undefined ? undefined : Number(more), c.more);
    });
  }
});
