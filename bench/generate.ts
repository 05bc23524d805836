// Generates the benchmark inputs into a fresh directory: the mesh's config dump and its stats in three formats,
// their gzip copies, and (reused between runs while its spec is unchanged) a giant mesh: a 1 GiB
// `/config_dump?include_eds` and about 2 million stat values in each format.

import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { type ConfigDumpInfo, writeConfigDump } from './config-dump.ts';
import { BENCH_MESH, GIANT_MESH, type MeshSpec, planMesh } from './mesh.ts';
import { type StatsFiles, writeStats, writeTextStats } from './stats.ts';

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

/** Size of the giant config dump: 1 GiB, more than one V8 string can hold. */
export const GIANT_DUMP_TARGET_BYTES = 1024 * 1024 * 1024;

/** A file and its size. */
export interface SizedFile {
  path: string;
  bytes: number;
}

/** Gzip copies of a mesh's inputs. */
export interface GzipInputs {
  configDump: SizedFile;
  stats: { text: SizedFile; json: SizedFile; prometheus: SizedFile };
  /** True when every copy was one an earlier run wrote. */
  reused: boolean;
  ms: number;
}

/** The giant mesh's files. */
export interface GiantInputs {
  spec: MeshSpec;
  configDump: ConfigDumpInfo & { path: string };
  stats: StatsFiles;
  /** Text stats lines (one per value). */
  statLines: number;
  /** True when the files of an earlier run with the same spec were reused. */
  reused: boolean;
  ms: number;
}

/** Writes `<path>.gz`, or with `reuse` keeps one written after its source (the giant files take a while). */
async function gzipFile(path: string, reuse: boolean): Promise<SizedFile & { kept: boolean }> {
  const out = `${path}.gz`;
  const kept = reuse && existsSync(out) && statSync(out).mtimeMs >= statSync(path).mtimeMs && statSync(out).size > 0;
  if (!kept) {
    // Written aside and renamed when complete, so a run stopped part way never leaves a copy that looks whole.
    await pipeline(createReadStream(path), createGzip({ level: 6 }), createWriteStream(`${out}.partial`));
    renameSync(`${out}.partial`, out);
  }
  return { path: out, bytes: statSync(out).size, kept };
}

/** Writes gzip copies of a mesh's config dump and stats beside them; `reuse` keeps copies newer than their source. */
export async function generateGzipInputs(
  inputs: { configDump: SizedFile; stats: { text: SizedFile; json: SizedFile; prometheus: SizedFile } },
  reuse = false,
): Promise<GzipInputs> {
  const start = performance.now();
  const [configDump, text, json, prometheus] = await Promise.all([
    gzipFile(inputs.configDump.path, reuse),
    gzipFile(inputs.stats.text.path, reuse),
    gzipFile(inputs.stats.json.path, reuse),
    gzipFile(inputs.stats.prometheus.path, reuse),
  ]);
  const sized = (f: SizedFile & { kept: boolean }): SizedFile => ({ path: f.path, bytes: f.bytes });
  return {
    configDump: sized(configDump),
    stats: { text: sized(text), json: sized(json), prometheus: sized(prometheus) },
    reused: [configDump, text, json, prometheus].every((f) => f.kept),
    ms: performance.now() - start,
  };
}

function countLines(path: string): number {
  let lines = 0;
  const bytes = readFileSync(path);
  for (let at = bytes.indexOf(10); at >= 0; at = bytes.indexOf(10, at + 1)) lines++;
  return lines;
}

/**
 * Writes the giant mesh into `dir` (a 1 GiB config dump, written as a stream, and its stats), or reuses the files
 * an earlier run wrote from the same spec: they are the same bytes, and take a minute to write.
 */
export function generateGiantInputs(dir: string, spec: MeshSpec = GIANT_MESH): GiantInputs {
  const start = performance.now();
  const stampPath = join(dir, 'inputs.json');
  const stampKey = JSON.stringify({ spec, target: GIANT_DUMP_TARGET_BYTES, version: 1 });
  if (existsSync(stampPath)) {
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as { key: string; inputs: GiantInputs };
    const files = [stamp.inputs.configDump, stamp.inputs.stats.text, stamp.inputs.stats.json, stamp.inputs.stats.prometheus];
    if (stamp.key === stampKey && files.every((f) => existsSync(f.path) && statSync(f.path).size === f.bytes)) {
      return { ...stamp.inputs, reused: true, ms: performance.now() - start };
    }
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const mesh = planMesh(spec);
  const path = join(dir, 'config_dump.json');
  const configDump = { path, ...writeConfigDump(mesh, path, GIANT_DUMP_TARGET_BYTES) };
  const stats = writeStats(mesh, dir);
  const inputs: GiantInputs = { spec, configDump, stats, statLines: countLines(stats.text.path), reused: false, ms: performance.now() - start };
  writeFileSync(stampPath, JSON.stringify({ key: stampKey, inputs }));
  return inputs;
}

/** Empties `dir` (keeping the giant mesh's subdirectory) and writes `config_dump.json`, `stats.txt`, `stats.json` and `stats.prom` into it. */
export function generateBenchInputs(dir: string, spec: MeshSpec = BENCH_MESH): BenchInputs {
  const start = performance.now();
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f !== 'giant') rmSync(join(dir, f), { recursive: true, force: true });
  const mesh = planMesh(spec);
  const path = join(dir, 'config_dump.json');
  const configDump = { path, ...writeConfigDump(mesh, path, CONFIG_DUMP_TARGET_BYTES) };
  const stats = writeStats(mesh, dir);
  return { spec, configDump, stats, ms: performance.now() - start };
}

/** A mesh written for the mesh-scale cases: its config dump and its stats as text. */
export interface ScaleInputs {
  spec: MeshSpec;
  configDump: ConfigDumpInfo & { path: string };
  stats: { path: string; bytes: number; values: number };
  ms: number;
}

/** Writes `config_dump.json` (padded with EDS endpoints to `targetBytes`) and `stats.txt` of `spec` into a fresh `dir`. */
export function generateScaleInputs(dir: string, spec: MeshSpec, targetBytes: number): ScaleInputs {
  const start = performance.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const mesh = planMesh(spec);
  const path = join(dir, 'config_dump.json');
  const configDump = { path, ...writeConfigDump(mesh, path, targetBytes) };
  const stats = writeTextStats(mesh, dir);
  return { spec, configDump, stats, ms: performance.now() - start };
}
