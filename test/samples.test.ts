// Every root-cause sample is diagnosed as that root cause first, and its healthy counterpart names nothing. Every
// sample says where it comes from: captured by the lab from a scenario (`npm run lab -- --record` regenerates it,
// lab/record.ts), or hand-made, with what and why in its README.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { capturedFrom } from '../lab/record.ts';
import { SCENARIOS } from '../lab/scenarios/index.ts';
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

describe('where each sample comes from', () => {
  for (const dir of readdirSync(`${ROOT}/samples`)) {
    const readme = readFileSync(`${ROOT}/samples/${dir}/README.md`, 'utf8');
    const scenario = capturedFrom(readme);
    if (scenario === undefined) {
      it(`samples/${dir} is hand-made, and its README says which parts and why the lab cannot produce them`, () => {
        assert.match(readme, /^## Hand-made\n\n.*written by hand.*The lab cannot produce them: /ms);
      });
      continue;
    }
    it(`samples/${dir} is captured by the lab from scenario ${scenario}, which reproduces its root cause`, () => {
      const s = SCENARIOS.find((x) => (x.name ?? x.rootCause) === scenario);
      assert.ok(s, `no scenario ${scenario} in lab/scenarios/index.ts`);
      assert.equal(dir.replace(/-healthy$/, ''), s.rootCause);
      assert.doesNotMatch(readme, /^## Hand-made/m);
    });
  }
});
