// Writes the import lists of the three registries from the modules of their folders: the analyzers
// (src/analyzers/index.ts), the root causes (src/diagnose/root-causes/index.ts) and the fix kinds
// (src/fixes/kinds/index.ts). A registry imports its modules by name, so nothing lists a folder at run time; this
// writes those names, so adding a module is adding its file. `node scripts/registries.ts --check` exits 1 when a
// registry is not what this would write (test/registries.test.ts runs it).

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** One registry: its folder, the files of it that are not modules, and how a module is imported and listed. */
interface Registry {
  folder: string;
  notModules: readonly string[];
  importLine(name: string, file: string): string;
  listLine(name: string, id: string): string;
}

export const REGISTRIES: readonly Registry[] = [
  {
    folder: 'src/analyzers',
    notModules: ['index.ts', 'analyzer.ts'],
    importLine: (name, file) => `import * as ${name} from './${file}';`,
    listLine: (name) => `  ${name},`,
  },
  {
    folder: 'src/diagnose/root-causes',
    notModules: ['index.ts'],
    importLine: (name, file) => `import { rootCause as ${name} } from './${file}';`,
    listLine: (name) => `  ${name},`,
  },
  {
    folder: 'src/fixes/kinds',
    notModules: ['index.ts'],
    importLine: (name, file) => `import * as ${name} from './${file}';`,
    listLine: (name, id) => `  '${id}': ${name}.fixKind,`,
  },
];

const BEGIN = '// registry: the modules of this folder, written by `npm run registries`';
const END = '// registry end';

/** `circuit-breakers` as `circuitBreakers`. */
function camel(id: string): string {
  return id.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** The registry's text with its two generated blocks (imports, then the list) written from its folder. */
export function written(r: Registry, text: string): string {
  const ids = readdirSync(`${ROOT}${r.folder}`)
    .filter((f) => f.endsWith('.ts') && !r.notModules.includes(f))
    .map((f) => f.slice(0, -3))
    .sort();
  const blocks = [ids.map((id) => r.importLine(camel(id), `${id}.ts`)), ids.map((id) => r.listLine(camel(id), id))];
  let out = text;
  let from = 0;
  for (const lines of blocks) {
    const begin = out.indexOf(BEGIN, from);
    const end = out.indexOf(END, begin);
    if (begin < 0 || end < 0) throw new Error(`${r.folder}/index.ts: two blocks between "${BEGIN}" and "${END}" expected`);
    const head = out.slice(0, begin + BEGIN.length);
    const indent = out.slice(out.lastIndexOf('\n', begin) + 1, begin);
    out = `${head}\n${lines.join('\n')}\n${indent}${out.slice(end)}`;
    from = out.indexOf(END, begin) + END.length;
  }
  return out;
}

function main(check: boolean): number {
  let stale = 0;
  for (const r of REGISTRIES) {
    const path = `${ROOT}${r.folder}/index.ts`;
    const text = readFileSync(path, 'utf8');
    if (!text.includes(BEGIN)) continue;
    const next = written(r, text);
    if (next === text) continue;
    if (check) {
      process.stderr.write(`${r.folder}/index.ts does not list the modules of its folder: run npm run registries\n`);
      stale++;
    } else writeFileSync(path, next);
  }
  return stale > 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.includes('--check'));
