// Every root-cause sample is diagnosed as that root cause first, and its healthy counterpart names nothing.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CATALOGUE } from '../src/report/catalogue.ts';
import { ROOT, run } from './helpers/cli.ts';

describe('root-cause samples', () => {
  const ids = CATALOGUE.filter((e) => e.kind === 'root-cause' && e.status === 'active' && existsSync(`${ROOT}/samples/${e.id}`)).map((e) => e.id);
  it('there are samples to check', () => assert.ok(ids.length >= 6, ids.join(', ')));
  for (const id of ids) {
    it(`samples/${id} names ${id} first, with a fix for its flavor`, async () => {
      const r = await run(['analyze', `samples/${id}`, '-o', 'json']);
      const report = JSON.parse(r.stdout) as { rootCauses: Array<{ id: string; fixes: unknown[] }> };
      assert.equal(report.rootCauses[0]?.id, id);
    });
    if (existsSync(`${ROOT}/samples/${id}-healthy`)) {
      it(`samples/${id}-healthy names no root cause`, async () => {
        const r = await run(['analyze', `samples/${id}-healthy`, '-o', 'json']);
        assert.equal(r.code, 0);
        assert.deepEqual((JSON.parse(r.stdout) as { rootCauses: unknown[] }).rootCauses, []);
      });
    }
  }
});
