// Every Envoy stat name envoy-doctor reads is written once, in src/model/envoy-stats.ts: analyzers declare the stats
// they read from it, and the live /stats filter, the stats a parsed sample keeps, the coverage checks and the verify
// steps are derived from those declarations. Every stat an analyzer reads is one it declares.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLUSTER_STATS, HTTP_STATS, SERVER_STATS, STAT_PREFIXES, TCP_STATS } from '../src/model/envoy-stats.ts';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const DICTIONARY = 'model/envoy-stats.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

/** The string literals of a file's code (comments left out). */
function literals(file: string): string[] {
  const code = readFileSync(join(SRC, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(/'([^'\n]*)'|"([^"\n]*)"/g)].map((m) => (m[1] ?? m[2]) as string);
}

describe('stat names', () => {
  const names = new Set<string>([
    ...Object.values(CLUSTER_STATS),
    ...Object.values(HTTP_STATS),
    ...Object.values(TCP_STATS),
    ...Object.values(SERVER_STATS),
    ...Object.values(STAT_PREFIXES),
  ]);
  it('the dictionary names stats', () => assert.ok(names.size > 40, `${names.size} names`));
  // `idle_timeout` is also a configuration field (cluster, route, TCP proxy): it is left out of this check.
  const stats = new Set([...names].filter((n) => n !== TCP_STATS.idleTimeout));
  it('no source file but the dictionary writes a stat name the dictionary holds', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(SRC)) {
      if (file === DICTIONARY) continue;
      for (const s of literals(file)) if (stats.has(s)) offenders.push(`${file}: '${s}'`);
    }
    assert.deepEqual(offenders, []);
  });
  it('no stat-like name is written in two source files', () => {
    const seen = new Map<string, Set<string>>();
    for (const file of sourceFiles(SRC)) {
      for (const s of literals(file)) {
        if (!/^(upstream|downstream)_(cx|rq|flow)_[a-z0-9_]+$|^circuit_breakers\.[a-z]+\.[a-z_]+$/.test(s)) continue;
        const files = seen.get(s) ?? new Set();
        files.add(file);
        seen.set(s, files);
      }
    }
    assert.deepEqual(
      [...seen].filter(([, files]) => files.size > 1).map(([s, files]) => `${s}: ${[...files].join(', ')}`),
      [],
    );
  });
});
