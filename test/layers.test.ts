// The import graph of src/ follows the layer order. Each folder of src/ is one layer:
//
//   core, lowest first:  model <- parse <- analyzers <- diagnose <- fixes <- report
//   edge adapters:       collect (reads inputs: files, bundles, admin endpoints, Kubernetes)
//                        notify (posts root causes to Slack and webhooks, keeps the state of what it posted)
//   composition:         cli (wires everything together)
//
// Allowed imports (a row imports from the columns marked x; a folder always imports from itself):
//
//                 model parse analyzers diagnose fixes report collect notify cli
//   model           x
//   parse           x     x
//   analyzers       x     x      x
//   diagnose        x     x      x         x
//   fixes           x     x      x         x       x
//   report          x     x      x         x       x     x
//   collect         x     x                                    x
//   notify          x     x      x         x       x     x            x
//   cli             x     x      x         x       x     x     x      x      x
//
// So a core layer never imports a higher one nor an adapter or cli; collect (the input side) needs only the model and
// its parsers, and what it must know of higher layers (such as the stats the analyzers read) is passed in by cli;
// notify (the output side) reads the diagnosis and its rendering but never collect: the two adapters stay apart, and
// what both need lives in a layer below them.
//
// Two more rules:
// - An analyzer's module is a plug-in: outside src/analyzers only its registry (`analyzers/index.ts`) and the
//   analyzer contract (`analyzers/analyzer.ts`) are imported. What an analyzer shares with others lives lower.
// - Every dynamic `import()` names its module as a string literal, so the graph can be checked.
//
// Imports counted: static `import … from`, `export … from`, side-effect `import '…'` and dynamic `import('…')`,
// type-only ones included.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** The folders of src/ each layer may import from, besides itself. */
const ALLOWED: Record<string, readonly string[]> = {
  model: [],
  parse: ['model'],
  analyzers: ['model', 'parse'],
  diagnose: ['model', 'parse', 'analyzers'],
  fixes: ['model', 'parse', 'analyzers', 'diagnose'],
  report: ['model', 'parse', 'analyzers', 'diagnose', 'fixes'],
  collect: ['model', 'parse'],
  notify: ['model', 'parse', 'analyzers', 'diagnose', 'fixes', 'report'],
  cli: ['model', 'parse', 'analyzers', 'diagnose', 'fixes', 'report', 'collect', 'notify'],
};

/** The analyzer files that other layers may import: the registry and the contract. */
const ANALYZERS_PUBLIC = new Set(['analyzers/index.ts', 'analyzers/analyzer.ts']);

/** Every .ts file under a directory, as paths relative to src/. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

/** The text of a source file without its comments (so a comment that quotes an import is not one). */
function codeOf(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** The module specifiers a file imports, and the dynamic imports whose module is computed. */
function importsOf(code: string): { specifiers: string[]; computed: string[] } {
  const specifiers: string[] = [];
  for (const m of code.matchAll(/\b(?:import|export)\b[^;'"`]*?\bfrom\s*(['"])([^'"]+)\1/g)) specifiers.push(m[2] as string);
  for (const m of code.matchAll(/^\s*import\s*(['"])([^'"]+)\1/gm)) specifiers.push(m[2] as string);
  const computed: string[] = [];
  for (const m of code.matchAll(/\bimport\s*\(\s*([^)]*)\)/g)) {
    const arg = (m[1] as string).trim();
    const literal = /^(['"])([^'"]+)\1$/.exec(arg);
    if (literal) specifiers.push(literal[2] as string);
    else computed.push(arg);
  }
  return { specifiers, computed };
}

/** The folder of src/ a path relative to src/ lies in. */
const layerOf = (path: string) => path.split('/')[0] as string;

/** Every import that breaks the layer order, as `file -> imported file (why)`. */
function violations(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(SRC).sort()) {
    const from = layerOf(file);
    const allowed = ALLOWED[from];
    assert.ok(allowed, `src/${from} is not a known layer: add it to ALLOWED in test/layers.test.ts`);
    const { specifiers, computed } = importsOf(codeOf(readFileSync(join(SRC, file), 'utf8')));
    for (const arg of computed) found.push(`${file} -> import(${arg}) (a computed import cannot be checked)`);
    for (const spec of specifiers) {
      if (!spec.startsWith('.')) continue;
      const target = relative(SRC, resolve(dirname(join(SRC, file)), spec));
      if (target.startsWith('..')) continue;
      const to = layerOf(target);
      if (to !== from && !allowed.includes(to)) found.push(`${file} -> ${target} (${from} may not import ${to})`);
      else if (to === 'analyzers' && from !== 'analyzers' && !ANALYZERS_PUBLIC.has(target)) {
        found.push(`${file} -> ${target} (an analyzer's module is imported only by the registry)`);
      }
    }
  }
  return found;
}

describe('layers', () => {
  it('every src/ import follows the layer order', () => {
    const found = violations();
    assert.deepEqual(found, [], `imports that break the layer order:\n${found.join('\n')}`);
  });
  it('the import reader sees static, re-export, side-effect and dynamic imports, and skips comments', () => {
    const code = codeOf(
      [
        "import { a } from '../model/a.ts';",
        "import type {\n  B,\n} from '../parse/b.ts';",
        "export { c } from './c.ts';",
        "import './d.ts';",
        "const e = await import('../report/e.ts');",
        'const f = await import(`./${name}.ts`);',
        "// import { g } from '../cli/g.ts';",
        "/* import { h } from '../cli/h.ts'; */",
      ].join('\n'),
    );
    assert.deepEqual(importsOf(code), {
      specifiers: ['../model/a.ts', '../parse/b.ts', './c.ts', './d.ts', '../report/e.ts'],
      computed: ['`./${name}.ts`'],
    });
  });
});
