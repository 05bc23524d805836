// The house rules, checked: every analyzer registered with a unique id, a test and a docs page; every catalogue
// id unique and documented; every shipped root cause has a rule; every finding code an analyzer emits is catalogued;
// every note type declared in src/fixes is listed for the catalogue, and notes are attached by their type.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Analyzer } from '../src/analyzers/analyzer.ts';
import { loadAnalyzers } from '../src/analyzers/index.ts';
import { ROOT_CAUSES } from '../src/diagnose/root-causes/index.ts';
import { NOTE_TYPES } from '../src/fixes/note-types.ts';
import { CATALOGUE } from '../src/report/catalogue.ts';

const root = new URL('../', import.meta.url);
const exists = (path: string) => existsSync(new URL(path, root));

/** The analyzer module files of src/analyzers (all but the registry and the contract), by file name without .ts. */
function analyzerFiles(): string[] {
  return readdirSync(new URL('src/analyzers/', root))
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'analyzer.ts')
    .map((f) => f.slice(0, -'.ts'.length))
    .sort();
}

describe('analyzer conventions', async () => {
  const analyzers = await loadAnalyzers();
  it('every analyzer file is registered, and its id is its file name', async () => {
    assert.deepEqual(analyzers.map((a) => a.meta.id).sort(), analyzerFiles());
    for (const id of analyzerFiles()) {
      const mod = (await import(new URL(`src/analyzers/${id}.ts`, root).href)) as Analyzer;
      assert.equal(mod.meta.id, id, `src/analyzers/${id}.ts exports meta with id "${id}"`);
      assert.ok(
        analyzers.some((a) => a.meta.id === mod.meta.id && a.meta.title === mod.meta.title),
        `${id} is listed in src/analyzers/index.ts`,
      );
    }
  });
  it('analyzer ids are unique', () => {
    const ids = analyzers.map((a) => a.meta.id);
    assert.equal(new Set(ids).size, ids.length);
  });
  for (const a of analyzers) {
    it(`${a.meta.id}: has a test, a docs page, and emits only active catalogue findings`, () => {
      assert.ok(exists(`test/analyzers/${a.meta.id}.test.ts`), `test/analyzers/${a.meta.id}.test.ts`);
      assert.ok(exists(a.meta.docs), a.meta.docs);
      assert.ok(a.meta.emits.length > 0);
      for (const code of a.meta.emits) {
        const e = CATALOGUE.find((x) => x.id === code);
        assert.equal(e?.kind, 'finding', `${code} is a catalogued finding`);
        assert.equal(e?.status, 'active', `${code} is active`);
      }
    });
    it(`${a.meta.id}: cites its Envoy source at the top of its file`, () => {
      const text = readFileSync(new URL(`src/analyzers/${a.meta.id}.ts`, root), 'utf8');
      const header = text
        .split('\n')
        .filter((l) => l.startsWith('//'))
        .join('\n');
      assert.match(header, /(source\/|api\/|docs\/|\.proto|\.cc|\.h\b|\.rst|envoyproxy\/)/);
    });
  }
});

describe('catalogue conventions', () => {
  it('ids are unique and kebab-case', () => {
    const ids = CATALOGUE.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^[a-z0-9]+(-[a-z0-9]+)*$/);
  });
  it('every active finding is emitted by some analyzer', async () => {
    const emitted = new Set((await loadAnalyzers()).flatMap((a) => a.meta.emits));
    for (const e of CATALOGUE.filter((x) => x.kind === 'finding' && x.status === 'active')) assert.ok(emitted.has(e.id), e.id);
  });
  it('every active root cause has exactly one rule, and every rule names an active root cause', () => {
    const active = CATALOGUE.filter((x) => x.kind === 'root-cause' && x.status === 'active')
      .map((x) => x.id)
      .sort();
    assert.deepEqual(ROOT_CAUSES.map((r) => r.id).sort(), active);
  });
  it('every active finding and root cause has its docs page', () => {
    for (const e of CATALOGUE.filter((x) => (x.kind === 'finding' || x.kind === 'root-cause') && x.status === 'active')) {
      assert.equal(e.docs, `docs/findings/${e.id}.md`);
      assert.ok(exists(e.docs as string), e.docs);
    }
  });
  it('the ids reserved for coming root causes stay reserved', () => {
    const reserved = [
      'stream-idle-timeout',
      'route-timeout-on-upgrade',
      'connection-max-duration',
      'upstream-http2-websocket',
      'alpn-h2-websocket',
      'websocket-upgrade-disabled',
      'circuit-breaker-saturation',
      'policy-overridden',
      'passthrough-idle-timeout',
      'listener-drain',
      'request-buffer-blocks-upgrade',
      'config-drift',
      'stats-unavailable',
    ];
    for (const id of reserved) assert.equal(CATALOGUE.find((e) => e.id === id)?.kind, 'root-cause', id);
  });
  it('every note type declared in src/fixes is in the note registry (src/fixes/note-types.ts), and notes are attached by type', () => {
    const registered = new Set(NOTE_TYPES.map((t) => t.id));
    const files = readdirSync(new URL('src/fixes/', root), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const declared: string[] = [];
    for (const file of files) {
      const text = readFileSync(new URL(`src/fixes/${file}`, root), 'utf8');
      for (const m of text.matchAll(/\bnoteType<[\s\S]*?>\(\)\(\s*'([a-z0-9-]+)'/g)) declared.push(m[1] as string);
      // A note is `note(TYPE, values)`, its values checked against its type: never a bare `{ code: '…' }`.
      assert.doesNotMatch(text, /\bcode:\s*['"`]/, `src/fixes/${file} attaches a note by a code literal instead of note(TYPE, values)`);
    }
    assert.ok(declared.length >= 40, String(declared.length));
    for (const id of declared)
      assert.ok(registered.has(id), `note type ${id} is declared in src/fixes but not listed in note-types.ts (its kind's noteTypes or its file's NOTE_TYPES)`);
    assert.equal(NOTE_TYPES.length, registered.size, 'a note type is listed twice');
    for (const t of NOTE_TYPES)
      assert.equal(
        CATALOGUE.find((e) => e.id === t.id),
        t,
        `${t.id} is catalogued as declared`,
      );
  });
  it('message placeholders of rule-produced explanations are all filled by the rules', () => {
    for (const e of CATALOGUE) {
      // `{key}`, or `{key|one|many}` for the words that agree with the number: the key is one word either way.
      if (e.message) assert.doesNotMatch(e.message, /\{(?!\w+\|[^{}|]*\|[^{}|]*\})[^}]*\s[^}]*\}/, `${e.id}: placeholders are single words`);
    }
  });
});
