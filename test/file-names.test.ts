// One name per concept: no two files under src/ share a name unless they are one concept seen from two stages (an
// analyzer and the root cause it feeds, named alike on purpose) or a folder's registry (index.ts).

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

describe('file names', () => {
  it('no two files of src/ share a name, but registries and an analyzer with the root cause it feeds', () => {
    const byName = new Map<string, string[]>();
    for (const f of sourceFiles(SRC)) byName.set(basename(f), [...(byName.get(basename(f)) ?? []), f]);
    const shared = [...byName]
      .filter(([name, files]) => files.length > 1 && name !== 'index.ts')
      .filter(([name, files]) => !(files.length === 2 && files.includes(`analyzers/${name}`) && files.includes(`diagnose/root-causes/${name}`)))
      .map(([name, files]) => `${name}: ${files.join(', ')}`);
    assert.deepEqual(shared, []);
  });
});
