// The analyzer registry: every module in this folder other than this one and `analyzer.ts` is an analyzer.
// Adding an analyzer is adding its file; nothing here changes.

import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Analyzer } from './analyzer.ts';

const NOT_ANALYZERS = new Set(['index', 'analyzer']);

/** The analyzer module files in this folder, by id. */
export function analyzerFiles(): string[] {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  return readdirSync(dir)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => f.replace(/\.(ts|js)$/, ''))
    .filter((id) => !NOT_ANALYZERS.has(id))
    .sort();
}

let loaded: Promise<Analyzer[]> | undefined;

/** Loads every analyzer once, checking each exports `meta` and `analyze` and that its id is its file name. */
export function loadAnalyzers(): Promise<Analyzer[]> {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  loaded ??= Promise.all(
    analyzerFiles().map(async (id) => {
      const mod = (await import(new URL(`./${id}${ext}`, import.meta.url).href)) as Partial<Analyzer>;
      if (!mod.meta || typeof mod.analyze !== 'function' || mod.meta.id !== id) {
        throw new Error(`analyzer ${id} must export meta (with id "${id}") and analyze`);
      }
      return { meta: mod.meta, analyze: mod.analyze };
    }),
  );
  return loaded;
}
