// The docs say what the code is: every repository path they cite exists, every root cause's page names its module and
// the lab scenarios that reproduce it, and the lists of ids and scenarios the docs hold by hand (README's root-cause
// table, docs/json-schema.md's codes, docs/lab.md's scenario table) are the ones `envoy-doctor list` and the lab know.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SCENARIOS } from '../lab/scenarios/index.ts';
import { CATALOGUE } from '../src/report/catalogue.ts';
import { ROOT } from './helpers/cli.ts';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** README.md and every Markdown page under docs/, by path from the repository root. */
function pages(): string[] {
  const found = ['README.md'];
  const walk = (dir: string) => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      if (e.isDirectory()) walk(`${dir}/${e.name}`);
      else if (e.name.endsWith('.md')) found.push(`${dir}/${e.name}`);
    }
  };
  walk('docs');
  return found.sort();
}

const active = (kind: 'finding' | 'root-cause') => CATALOGUE.filter((e) => e.kind === kind && e.status === 'active');

/** The ids in backticks of a piece of Markdown. */
const codes = (text: string) => [...text.matchAll(/`([a-z0-9]+(?:-[a-z0-9]+)*)`/g)].map((m) => m[1] as string);

/** The lab scenario files that reproduce a root cause (`rootCause: '<id>'`). */
function scenarioFiles(id: string): string[] {
  return readdirSync(join(ROOT, 'lab/scenarios'))
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .filter((f) => read(`lab/scenarios/${f}`).includes(`rootCause: '${id}'`))
    .map((f) => `lab/scenarios/${f}`);
}

describe('docs', () => {
  it('every path of the repository the docs and README cite exists', () => {
    // A path of this repository: a top-level folder of its own, not inside a longer path (`.lab/`, `/usr/bin/`, a
    // URL's `latest/…`); cut before a placeholder (`src/diagnose/root-causes/<id>.ts` checks the folder).
    const path = /(?<![\w./-])((?:src|lab|test|bench|samples|deploy|scripts|sea)\/[\w./-]*\w)/g;
    // What a run writes (`bench/out/`) is git-ignored and exists only after that run.
    const written = read('.gitignore')
      .split('\n')
      .filter((l) => l.endsWith('/'));
    const missing: string[] = [];
    for (const page of pages()) {
      for (const m of read(page).matchAll(path)) {
        const p = (m[1] as string).replace(/\/$/, '');
        if (written.some((dir) => `${p}/`.startsWith(dir))) continue;
        if (!existsSync(join(ROOT, p))) missing.push(`${page}: ${p}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  for (const { id } of active('root-cause')) {
    it(`docs/findings/${id}.md names its module and the lab scenarios that reproduce it`, () => {
      const text = read(`docs/findings/${id}.md`);
      const header = text.split('\n\n')[1] ?? '';
      assert.ok(header.includes(`\`src/diagnose/root-causes/${id}.ts\``), `the Kind line names src/diagnose/root-causes/${id}.ts`);
      const files = scenarioFiles(id);
      for (const f of files) assert.ok(header.includes(`\`${f}\``), `the Kind line names ${f}`);
      if (files.length === 0) assert.match(header, /lab:\**\s+no\s+scenario/i);
      for (const s of SCENARIOS.filter((x) => x.rootCause === id)) assert.ok(header.includes(`\`${s.name ?? s.rootCause}\``), `names scenario ${s.name ?? id}`);
    });
  }

  it("README's root-cause table is the catalogue's root causes, with their titles", () => {
    const readme = read('README.md');
    const table = readme.slice(readme.indexOf('## What it diagnoses'));
    const rows = [...table.matchAll(/^\| \[`([a-z0-9-]+)`\]\(docs\/findings\/([a-z0-9-]+)\.md\) \| (.+) \|$/gm)].map((m) => {
      assert.equal(m[2], m[1]);
      return `${m[1]}: ${m[3]}`;
    });
    const expected = active('root-cause').map((e) => `${e.id}: ${e.title}`);
    assert.deepEqual([...rows].sort(), [...expected].sort());
  });

  it("docs/json-schema.md's finding codes and root-cause ids are the catalogue's (envoy-doctor list)", () => {
    const text = read('docs/json-schema.md');
    const start = text.indexOf('Finding codes in this release');
    assert.ok(start >= 0, 'the list of codes');
    const paragraph = text.slice(start, text.indexOf('\n\n', start));
    const [findings = '', rootCauses = ''] = paragraph.split('Root causes:');
    assert.deepEqual(
      codes(findings).sort(),
      active('finding')
        .map((e) => e.id)
        .sort(),
    );
    assert.deepEqual(
      codes(rootCauses).sort(),
      active('root-cause')
        .map((e) => e.id)
        .sort(),
    );
  });

  it("docs/lab.md's scenario table lists every scenario of lab/scenarios/index.ts, and no section twice", () => {
    const text = read('docs/lab.md');
    const table = text.slice(text.indexOf('## Scenarios'));
    const rows = [...table.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1] as string);
    assert.deepEqual([...rows].sort(), SCENARIOS.map((s) => s.name ?? s.rootCause).sort());
    const headings = text.split('\n').filter((l) => l.startsWith('#'));
    assert.deepEqual(
      headings.filter((h, i) => headings.indexOf(h) !== i),
      [],
    );
  });
});
