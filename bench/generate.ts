// Generates the benchmark inputs into a fresh directory: the mesh's config dump and its stats in three formats.

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type ConfigDumpInfo, writeConfigDump } from './config-dump.ts';
import { BENCH_MESH, type MeshSpec, planMesh } from './mesh.ts';
import { type StatsFiles, writeStats } from './stats.ts';

/** Size the config dump is padded to with EDS endpoints: 100 MiB. */
export const CONFIG_DUMP_TARGET_BYTES = 100 * 1024 * 1024;

/** What was generated, where. */
export interface BenchInputs {
  spec: MeshSpec;
  configDump: ConfigDumpInfo & { path: string };
  stats: StatsFiles;
  /** Wall time spent generating, in ms. */
  ms: number;
}

/** Empties `dir` and writes `config_dump.json`, `stats.txt`, `stats.json` and `stats.prom` into it. */
export function generateBenchInputs(dir: string, spec: MeshSpec = BENCH_MESH): BenchInputs {
  const start = performance.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const mesh = planMesh(spec);
  const path = join(dir, 'config_dump.json');
  const configDump = { path, ...writeConfigDump(mesh, path, CONFIG_DUMP_TARGET_BYTES) };
  const stats = writeStats(mesh, dir);
  return { spec, configDump, stats, ms: performance.now() - start };
}
