// Every export of src/ is imported by another file: by src/, bin/, bench/, lab/, sea/, scripts/ or the tests. An
// export nothing imports is either a local that lost its `export` or dead code; tsc's noUnusedLocals and
// noUnusedParameters then catch what is unused inside a file.
//
// An export only tests import is an internal helper the tests reach into: it is allowed only when it is listed below
// as a unit under test (a function whose cases are best told one by one, which the user-visible tests cannot reach
// without building a whole input for each). A new export used only by tests is either tested through what uses it and
// made local, or listed here with the reason.
//
// Counted as a use of an export of src/x.ts: a named import of it (`import { a } from`, type-only ones included), a
// re-export (`export { a } from`), an augmentation (`declare module '…' { interface a … }`), `ns.a` in a file that
// imports src/x.ts as `import * as ns`, and any mention of the name in a file that imports src/x.ts dynamically
// (`await import('…')`, often destructured through Promise.all).
// bin/ imports the built dist/, read as the src/ file it is built from. The module contracts of the three registries
// (src/analyzers, src/diagnose/root-causes, src/fixes/kinds) are used by their registry as a whole module.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The folders whose files may import from src/. */
const READERS = ['src', 'test', 'bench', 'lab', 'sea', 'scripts', 'bin'];

/** The names a module of a registry folder exports for its registry, which imports the module whole. */
const CONTRACTS: Record<string, readonly string[]> = {
  'src/analyzers/': ['meta', 'analyze'],
  'src/diagnose/root-causes/': ['rootCause'],
  'src/fixes/kinds/': ['fixKind'],
};

/** The registries: what they export is the list of their modules, which tests go through as the program does. */
const REGISTRIES = ['src/analyzers/index.ts', 'src/diagnose/root-causes/index.ts', 'src/fixes/kinds/index.ts'];

/** Exports of src/ only tests import, as `file: name`: units tested case by case (see the top of this file). */
const UNITS_UNDER_TEST: ReadonlySet<string> = new Set<string>([
  // What an analyzer or a root cause computes from a measurement, tested at the edges of its rule.
  'src/analyzers/stream-route-timeouts.ts: cutAfterResponse',
  'src/analyzers/upgrade-route-timeouts.ts: routeTimeoutOnUpgrade',
  'src/analyzers/upgraded-sessions.ts: agentClass',
  'src/analyzers/upgraded-sessions.ts: inferredHeartbeatMs',
  'src/diagnose/root-causes/circuit-breaker-saturation.ts: proposedThreshold',
  'src/diagnose/root-causes/intermediary-idle-timeout.ts: proposedHeartbeatMs',
  'src/diagnose/root-causes/overload-manager-shedding.ts: proposedConnectionLimit',
  'src/diagnose/root-causes/overload-manager-shedding.ts: proposedMaxHeap',
  'src/diagnose/root-causes/passthrough-idle-timeout.ts: proposedIdleTimeout',
  'src/model/timers.ts: configuredTimers',
  // Ranking, grouping and merging of root causes, tested on hand-built root causes.
  'src/diagnose/diagnose.ts: MAX_APART',
  'src/diagnose/diagnose.ts: RootCauseMerger',
  'src/diagnose/diagnose.ts: groupMechanisms',
  'src/diagnose/diagnose.ts: mergeOnListeners',
  'src/diagnose/diagnose.ts: rankRootCauses',
  // Pieces of a fix, tested on fragments rather than on whole diagnoses.
  'src/fixes/envoy-merge.ts: mergeChanges',
  'src/fixes/envoy.ts: nullReplacedFields',
  'src/fixes/istio.ts: workloadSelector',
  'src/fixes/versions.ts: gatedFields',
  'src/fixes/yaml-text.ts: directYamlText',
  // Readers of one value or pattern, tested on tables of inputs; the config stream on documents split at every byte.
  'src/model/stats-config.ts: re2ToRegExp',
  'src/parse/access-log-formats.ts: parseResponseFlags',
  'src/parse/access-log-formats.ts: stripKubectlPrefixes',
  'src/parse/config-stream.ts: SKIPPED_CONFIG_KEYS',
  'src/parse/config-stream.ts: parseJsonConfigChunks',
  // How the command restarts with V8's start flags: a table of arguments and NODE_OPTIONS (the restart itself runs
  // in a real process too).
  'src/cli/v8-flags.ts: restartNodeOptions',
  // The read-only admin allowlist: the tests check that nothing off it can be asked for.
  'src/collect/admin-client.ts: ADMIN_ALLOWLIST',
  'src/collect/admin-client.ts: adminUrl',
  // Notifications: retries, state and Slack's limits, tested without a server.
  'src/notify/deliver.ts: backoffMs',
  'src/notify/deliver.ts: retryAfterMs',
  'src/notify/deliver.ts: retryableStatus',
  'src/notify/events.ts: DiagnosisView',
  'src/notify/events.ts: applyEvents',
  'src/notify/events.ts: subjectsOf',
  'src/notify/slack.ts: SECTION_LIMIT',
  'src/notify/slack.ts: codeSection',
  'src/notify/slack.ts: docsReference',
  'src/notify/slack.ts: slackMessage',
  'src/notify/state.ts: applyChanges',
  'src/notify/state.ts: parseState',
  // Report text: templates, escaping and the limits of the table, tested on hostile and long inputs.
  'src/report/format.ts: fillTemplate',
  'src/report/format.ts: sentenceStart',
  'src/report/html-charts.ts: upgradedSessions',
  'src/report/markdown.ts: mdCode',
  'src/report/markdown.ts: mdText',
  'src/report/metrics.ts: escapeLabelValue',
  'src/report/metrics.ts: renderFamilies',
  'src/report/publish.ts: groupingSegment',
  'src/report/table.ts: MAX_FINDING_ROWS',
  'src/report/table.ts: MAX_FIXES_PER_FLAVOR',
  'src/report/table.ts: MAX_LISTED',
]);

/** Every .ts and .js file under a folder of the repository, as paths relative to it; test fixtures left out. */
function filesUnder(folder: string): string[] {
  const dir = join(ROOT, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(folder, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' || e.name === 'node_modules' || e.name === 'out' ? [] : filesUnder(path);
    return /\.(ts|js|mjs)$/.test(e.name) ? [path] : [];
  });
}

/** The text of a file without its comments (so a comment that quotes an import or a name is not one). */
function codeOf(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** The names of a list in braces (`a, type b, c as d`): each as [name in the module, name where it is used]. */
function namesOf(list: string): [string, string][] {
  return list
    .split(',')
    .map((n) => n.trim().replace(/^type\s+/, ''))
    .filter((n) => n !== '')
    .map((n) => {
      const [inner, outer] = n.split(/\s+as\s+/);
      return [inner as string, (outer ?? inner) as string];
    });
}

/** The names a file exports itself (declared in it or re-exported from another). */
function exportsOf(code: string): string[] {
  const names: string[] = [];
  const declared = /^export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|var|class|abstract\s+class|interface|type|enum)\s+([\w$]+)/gm;
  for (const m of code.matchAll(declared)) names.push(m[1] as string);
  for (const m of code.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)) names.push(...namesOf(m[1] as string).map(([, outer]) => outer));
  if (/^export\s+default\b/m.test(code)) names.push('default');
  return [...new Set(names)];
}

/** How one file uses another: the names it imports or re-exports, or all of the module through a namespace or import(). */
interface Use {
  target: string;
  names: string[];
  /** A namespace import's local name: `ns.a` uses `a`. */
  namespace?: string;
  /** A dynamic import: any mention of a name uses it. */
  dynamic?: boolean;
}

/** The repository path a module specifier of a file names, or undefined for a package or a file outside it. */
function resolveSpecifier(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  let path = relative(ROOT, resolve(dirname(join(ROOT, from)), spec));
  if (path.startsWith('dist/')) path = `src/${path.slice('dist/'.length)}`.replace(/\.js$/, '.ts');
  if (!existsSync(join(ROOT, path)) && path.endsWith('.js') && existsSync(join(ROOT, path.replace(/\.js$/, '.ts')))) path = path.replace(/\.js$/, '.ts');
  return path;
}

/** What a file imports from files of the repository. */
function usesOf(file: string, code: string): Use[] {
  const uses: Use[] = [];
  const add = (spec: string, use: Omit<Use, 'target'>) => {
    const target = resolveSpecifier(file, spec);
    if (target) uses.push({ target, ...use });
  };
  for (const m of code.matchAll(/^import\s+(?:type\s+)?([^;'"]*?)\s*from\s*(['"])([^'"]+)\2/gm)) {
    const clause = m[1] as string;
    const spec = m[3] as string;
    const namespace = /\*\s*as\s+([\w$]+)/.exec(clause);
    if (namespace) {
      add(spec, { names: /^[\w$]+\s*,/.test(clause) ? ['default'] : [], namespace: namespace[1] as string });
      continue;
    }
    const names = namesOf(/\{([^}]*)\}/.exec(clause)?.[1] ?? '').map(([inner]) => inner);
    if (/^[\w$]+\s*(,|$)/.test(clause)) names.push('default');
    add(spec, { names });
  }
  for (const m of code.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}\s*from\s*(['"])([^'"]+)\2/gm)) {
    add(m[3] as string, { names: namesOf(m[1] as string).map(([inner]) => inner) });
  }
  for (const m of code.matchAll(/^declare\s+module\s*(['"])([^'"]+)\1\s*\{([\s\S]*?)^\}/gm)) {
    add(m[2] as string, {
      names: [...(m[3] as string).matchAll(/\b(?:interface|type|namespace|const|function|class)\s+([\w$]+)/g)].map((n) => n[1] as string),
    });
  }
  for (const m of code.matchAll(/^export\s+\*\s+from\s*(['"])([^'"]+)\1/gm)) add(m[2] as string, { names: [], dynamic: true });
  for (const m of code.matchAll(/\bimport\s*\(\s*(['"])([^'"]+)\1\s*\)/g)) add(m[2] as string, { names: [], dynamic: true });
  return uses;
}

/** An export of src/ and the files that use it. */
interface ExportUse {
  file: string;
  name: string;
  importers: string[];
}

/** Every export of src/ with its importers, read from the files as they are now. */
function exportUses(): ExportUse[] {
  const codes = new Map<string, string>();
  for (const folder of READERS) for (const file of filesUnder(folder)) codes.set(file, codeOf(readFileSync(join(ROOT, file), 'utf8')));
  const importers = new Map<string, Set<string>>();
  const used = (target: string, name: string, by: string) => {
    const key = `${target}: ${name}`;
    if (!importers.has(key)) importers.set(key, new Set());
    importers.get(key)?.add(by);
  };
  const exported = new Map<string, string[]>();
  for (const [file, code] of codes) if (file.startsWith('src/') && file.endsWith('.ts')) exported.set(file, exportsOf(code));
  for (const [file, code] of codes) {
    for (const use of usesOf(file, code)) {
      if (use.target === file) continue;
      for (const name of use.names) used(use.target, name, file);
      const names = exported.get(use.target) ?? [];
      if (use.namespace) {
        const ns = use.namespace.replace(/\$/g, '\\$');
        for (const name of names) if (new RegExp(`\\b${ns}\\.${name}\\b`).test(code)) used(use.target, name, file);
      }
      if (use.dynamic) for (const name of names) if (new RegExp(`\\b${name}\\b`).test(code)) used(use.target, name, file);
    }
  }
  return [...exported].flatMap(([file, names]) => names.map((name) => ({ file, name, importers: [...(importers.get(`${file}: ${name}`) ?? [])].sort() })));
}

/** Whether a name is one a registry folder's modules export for their registry. */
const isContract = (file: string, name: string) => Object.entries(CONTRACTS).some(([folder, names]) => file.startsWith(folder) && names.includes(name));

describe('dead exports', () => {
  const uses = exportUses();

  it('every export of src/ is imported by another file', () => {
    const unused = uses
      .filter((u) => u.importers.length === 0 && !isContract(u.file, u.name) && !REGISTRIES.includes(u.file))
      .map((u) => `${u.file}: ${u.name}`);
    assert.deepEqual(unused, [], `exports nothing imports (make them local, or remove them if nothing uses them):\n${unused.join('\n')}`);
  });

  it('an export of src/ only tests import is a listed unit under test', () => {
    const testOnly = uses
      .filter((u) => u.importers.length > 0 && u.importers.every((f) => f.startsWith('test/')) && !isContract(u.file, u.name) && !REGISTRIES.includes(u.file))
      .map((u) => `${u.file}: ${u.name}`);
    const unlisted = testOnly.filter((e) => !UNITS_UNDER_TEST.has(e));
    assert.deepEqual(unlisted, [], `exports only tests import:\n${unlisted.join('\n')}\ntest them through what uses them, or list them in UNITS_UNDER_TEST`);
    const stale = [...UNITS_UNDER_TEST].filter((e) => !testOnly.includes(e));
    assert.deepEqual(stale, [], `listed in UNITS_UNDER_TEST but no longer an export only tests import:\n${stale.join('\n')}`);
  });

  it('the import reader sees named, type-only, renamed, namespace, re-exported, augmented and dynamic imports', () => {
    const code = codeOf(
      [
        "import { a, type B, c as d } from '../src/x.ts';",
        "import type {\n  E,\n} from '../src/x.ts';",
        "import * as ns from '../src/y.ts';",
        "export { f as g } from '../src/x.ts';",
        "const [{ h }] = await Promise.all([import('../src/z.ts')]);",
        "declare module '../src/w.ts' {\n  interface J {\n    k: string;\n  }\n}",
        "// import { i } from '../src/x.ts';",
      ].join('\n'),
    );
    const uses = usesOf('test/t.ts', code);
    assert.deepEqual(
      uses.map((u) => [u.target, u.names, u.namespace, u.dynamic]),
      [
        ['src/x.ts', ['a', 'B', 'c'], undefined, undefined],
        ['src/x.ts', ['E'], undefined, undefined],
        ['src/y.ts', [], 'ns', undefined],
        ['src/x.ts', ['f'], undefined, undefined],
        ['src/w.ts', ['J'], undefined, undefined],
        ['src/z.ts', [], undefined, true],
      ],
    );
    assert.deepEqual(exportsOf('export const a = 1;\nexport async function b() {}\nexport type { C } from "./c.ts";\nexport { d as e };'), [
      'a',
      'b',
      'C',
      'e',
    ]);
  });
});
