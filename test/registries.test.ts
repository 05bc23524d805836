// The registries list the modules of their folders, as `npm run registries` writes them: adding an analyzer, a root
// cause or a fix kind is adding its file, and a registry that lags behind its folder fails here.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { REGISTRIES, written } from '../scripts/registries.ts';
import { ROOT } from './helpers/cli.ts';

describe('registries', () => {
  for (const r of REGISTRIES) {
    const text = readFileSync(`${ROOT}/${r.folder}/index.ts`, 'utf8');
    if (!text.includes('// registry: ')) continue;
    it(`${r.folder}/index.ts lists every module of its folder (npm run registries writes it)`, () => {
      assert.equal(text, written(r, text));
    });
  }
  it('the analyzers, the root causes and the fix kinds are written by it', () => {
    for (const folder of ['src/analyzers', 'src/diagnose/root-causes', 'src/fixes/kinds'])
      assert.match(readFileSync(`${ROOT}/${folder}/index.ts`, 'utf8'), /\/\/ registry: /);
  });
});
