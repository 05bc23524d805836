// Every shipped root cause is complete: a rule, a sample that names it (first, for samples/<id>) with a healthy
// counterpart where one exists, a docs page, and a fix rendered for each flavor unless its rule says why not. Every
// note those fixes carry is a catalogued note.
// Fixes are rendered for each flavor from the changes the sample's diagnosis produced: on the sample's own
// proxy for Envoy Gateway and plain Envoy, and retargeted at an Istio sidecar's names for Istio.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT_CAUSES } from '../src/diagnose/root-causes/index.ts';
import { CATALOGUE } from '../src/report/catalogue.ts';
import { ROOT } from './helpers/cli.ts';
import { diagnoseSamples, FLAVORS, renderFor } from './helpers/fix-coverage.ts';

describe('catalogue coverage', async () => {
  const samples = await diagnoseSamples();
  const active = CATALOGUE.filter((e) => e.kind === 'root-cause' && e.status === 'active');
  it('covers every active root cause', () => assert.ok(active.length >= 15, String(active.length)));
  it("every note of the samples' fixes, in every flavor, is a catalogued note", () => {
    const notes = new Set(CATALOGUE.filter((e) => e.kind === 'note').map((e) => e.id));
    const seen = new Set<string>();
    for (const [name, sample] of samples) {
      for (const rc of sample.rootCauses) {
        for (const fix of [...rc.fixes, ...FLAVORS.flatMap(({ flavor }) => renderFor(flavor, sample, rc))]) {
          for (const n of fix.notes) {
            assert.ok(notes.has(n.code), `${name}: ${rc.id} (${fix.flavor} ${fix.target}) carries note ${n.code}, which the catalogue lacks`);
            seen.add(n.code);
          }
        }
      }
    }
    assert.ok(seen.size >= 20, `notes seen: ${[...seen].join(', ')}`);
  });
  for (const entry of active) {
    const id = entry.id;
    describe(id, () => {
      const rule = ROOT_CAUSES.find((r) => r.id === id);
      // Its own sample when there is one, else the first sample that names it.
      const own = samples.get(id);
      const where = own ? id : [...samples.keys()].find((k) => samples.get(k)?.rootCauses.some((r) => r.id === id));
      const named = where ? samples.get(where)?.rootCauses.find((r) => r.id === id) : undefined;

      it('has a rule and a docs page', () => {
        assert.ok(rule, `rule for ${id}`);
        assert.ok(existsSync(join(ROOT, `docs/findings/${id}.md`)));
      });
      it('has a sample that names it (first, in samples/<id>), and a healthy counterpart that names nothing', () => {
        assert.ok(named, `a sample naming ${id}`);
        if (own) assert.equal(own.rootCauses[0]?.id, id);
        if (existsSync(join(ROOT, 'samples', `${id}-healthy`)))
          assert.deepEqual(
            samples.get(`${id}-healthy`)?.rootCauses.map((r) => r.id),
            [],
          );
      });
      for (const { flavor } of FLAVORS) {
        const why = rule?.noFixFor?.[flavor];
        it(why ? `renders no ${flavor} fix, on purpose: ${why}` : `renders a ${flavor} fix`, () => {
          assert.ok(named, `a sample naming ${id}`);
          const rendered = renderFor(flavor, samples.get(where as string) as NonNullable<ReturnType<typeof samples.get>>, named);
          if (why) assert.equal(rendered.length, 0, `${id} says it has no ${flavor} fix, yet one was rendered`);
          else assert.ok(rendered.length > 0, `${id}: no ${flavor} fix for ${named.changes.map((c) => c.kind).join(', ') || 'no changes'}`);
        });
      }
    });
  }
});
