// The size house rule, checked: no TypeScript file under src/, lab/, bench/ or sea/ is over 400 lines. A file that
// grows past it is split by concern into modules whose names say what they hold.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const FOLDERS = ['src', 'lab', 'bench', 'sea'];
const MAX_LINES = 400;

/** Every .ts file under a directory, as paths relative to the repository root. */
function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : typeScriptFiles(path);
    return e.name.endsWith('.ts') ? [relative(ROOT, path)] : [];
  });
}

/** Lines of a text as an editor counts them: a final newline ends the last line, it does not start another. */
function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

describe('source size', () => {
  it(`no .ts file under ${FOLDERS.join('/, ')}/ is over ${MAX_LINES} lines`, () => {
    const files = FOLDERS.flatMap((folder) => typeScriptFiles(join(ROOT, folder)));
    assert.ok(files.length > 0, 'found the source files');
    const over = files
      .map((file) => ({ file, lines: lineCount(readFileSync(join(ROOT, file), 'utf8')) }))
      .filter((f) => f.lines > MAX_LINES)
      .sort((a, b) => b.lines - a.lines);
    assert.deepEqual(over, [], `over ${MAX_LINES} lines:\n${over.map((f) => `  ${f.file}: ${f.lines}`).join('\n')}`);
  });
});
