// `npm run bench`: generates the synthetic mesh into bench/out/ (fresh, from a fixed seed) with gzip copies, and the
// giant mesh into bench/out/giant/ with gzip copies (reused while its spec is unchanged; `--clean` deletes it after the run),
// measures every case in fresh child processes (bench/measure.ts), and prints the median time, the peak RSS and the
// ratio to the matching floor (bare JSON.parse or line split of the same input; read + scan for files too large for
// one string). `--no-giant` leaves the giant mesh out. Also writes bench/out/results.{json,md}.

import { spawnSync } from 'node:child_process';
import { V8_FLAGS, V8_START_FLAGS } from '../src/cli/v8-flags.ts';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import {
  type BenchInputs,
  CONFIG_DUMP_TARGET_BYTES,
  type GiantInputs,
  type GzipInputs,
  generateBenchInputs,
  generateGiantInputs,
  generateGzipInputs,
  generateScaleInputs,
  type ScaleInputs,
} from './generate.ts';
import { BROKEN_MESH, STALLED_MESH } from './mesh.ts';
import { runFleetBench } from './fleet.ts';
import { runStartupBench } from './startup.ts';
import type { MeasureCase, MeasureResult } from './measure.ts';
import { BENCH_DIR, type Case, MIB, mainTable, median, msText, OUT_DIR, phaseTable, reportTable, type Row } from './tables.ts';

/** Runs per case; the median time is reported. */
const RUNS = 3;
/** Runs per giant case (each takes seconds). */
const GIANT_RUNS = 2;
/** Files above this are read in chunks by the line floor: one string cannot hold them. */
const ONE_STRING_BYTES = 500 * 1024 * 1024;
const MEASURE = join(BENCH_DIR, 'measure.ts');
const GIANT_DIR = join(OUT_DIR, 'giant');

function casesFor(inputs: BenchInputs, gz: GzipInputs, scale: ScaleInputs[], giant: GiantInputs | undefined, giantGz: GzipInputs | undefined): Case[] {
  const key = (measure: MeasureCase, files: string[]): string => `${measure}:${files.map((f) => relative(OUT_DIR, f)).join('+')}`;
  const cases: Case[] = [{ key: 'baseline', title: 'baseline (node + modules)', measure: 'baseline', files: [], bytes: 0, floors: [], runs: RUNS }];
  const seen = new Set<string>();
  const add = (c: Omit<Case, 'key' | 'runs'>, runs = RUNS): string => {
    const k = key(c.measure, c.files);
    if (!seen.has(k)) {
      seen.add(k);
      cases.push({ ...c, key: k, runs });
    }
    return k;
  };
  const floorOf = (file: { path: string; bytes: number }, json: boolean, runs = RUNS): string => {
    const gzip = file.path.endsWith('.gz') ? 'gunzip + ' : '';
    // A gzip copy sits beside its source: what one string would have to hold is the source's size.
    const unpacked = gzip !== '' && existsSync(file.path.slice(0, -3)) ? statSync(file.path.slice(0, -3)).size : file.bytes;
    if (json && unpacked > ONE_STRING_BYTES)
      return add({ title: `floor: ${gzip}read + scan`, measure: 'floor-scan', files: [file.path], bytes: file.bytes, floors: [] }, runs);
    if (json) return add({ title: `floor: ${gzip}JSON.parse`, measure: 'floor-json', files: [file.path], bytes: file.bytes, floors: [] }, runs);
    return add({ title: `floor: ${gzip}read + split lines`, measure: 'floor-lines', files: [file.path], bytes: file.bytes, floors: [] }, runs);
  };
  const group = (dump: { path: string; bytes: number }, stats: Array<{ path: string; bytes: number }>, runs: number, whole: boolean): void => {
    const dumpFloor = floorOf(dump, true, runs);
    add({ title: 'parse config (streamed)', measure: 'parse-config', files: [dump.path], bytes: dump.bytes, floors: [dumpFloor] }, runs);
    if (whole) add({ title: 'parse config (whole document)', measure: 'parse-config-whole', files: [dump.path], bytes: dump.bytes, floors: [dumpFloor] }, runs);
    const statFloors = stats.map((s) => floorOf(s, /\.json(\.gz)?$/.test(s.path), runs));
    stats.forEach((s, i) => {
      add(
        {
          title: 'parse + stats + diagnose',
          measure: 'end-to-end',
          files: [dump.path, s.path],
          bytes: dump.bytes + s.bytes,
          floors: [dumpFloor, statFloors[i] as string],
        },
        runs,
      );
    });
  };
  group(inputs.configDump, [inputs.stats.text, inputs.stats.json, inputs.stats.prometheus], RUNS, true);
  group(gz.configDump, [gz.stats.text, gz.stats.json, gz.stats.prometheus], RUNS, false);
  // Mesh scale: the command with its table and its JSON report on the bench mesh, on a broken one and on 20,000
  // clusters of which 20 stall, against a bare JSON.parse of the dump.
  for (const mesh of [{ configDump: inputs.configDump, stats: inputs.stats.text }, ...scale]) {
    const dumpFloor = floorOf(mesh.configDump, true);
    for (const [measure, title] of [
      ['report-table', 'envoy-doctor analyze (table)'],
      ['report-json', 'envoy-doctor analyze -o json'],
    ] as const) {
      add({ title, measure, files: [mesh.configDump.path, mesh.stats.path], bytes: mesh.configDump.bytes + mesh.stats.bytes, floors: [dumpFloor] });
    }
  }
  if (giant) {
    group(giant.configDump, [giant.stats.text, giant.stats.json, giant.stats.prometheus], GIANT_RUNS, false);
    if (giantGz) group(giantGz.configDump, [giantGz.stats.text, giantGz.stats.json, giantGz.stats.prometheus], GIANT_RUNS, false);
    // The command itself on each giant input alone, and on its gzip copy: the figures the 600 MB aim is about.
    const compressed = giantGz ? [giantGz.configDump, giantGz.stats.text, giantGz.stats.json, giantGz.stats.prometheus] : [];
    for (const file of [giant.configDump, giant.stats.text, giant.stats.json, giant.stats.prometheus, ...compressed]) {
      const floor = floorOf(file, /\.json(\.gz)?$/.test(file.path), GIANT_RUNS);
      add({ title: 'envoy-doctor analyze -o json', measure: 'analyze', files: [file.path], bytes: file.bytes, floors: [floor] }, GIANT_RUNS);
    }
    // The dump and its stats at once, as the command reads them: the figure the 600 MB aim for both is about.
    add(
      {
        title: 'envoy-doctor analyze -o json',
        measure: 'report-json',
        files: [giant.configDump.path, giant.stats.text.path],
        bytes: giant.configDump.bytes + giant.stats.text.bytes,
        floors: [floorOf(giant.configDump, true, GIANT_RUNS), floorOf(giant.stats.text, false, GIANT_RUNS)],
      },
      GIANT_RUNS,
    );
  }
  return cases;
}

/** Runs one case in a fresh Node process and returns what it printed. */
function runChild(c: Case): MeasureResult {
  const child = spawnSync(process.execPath, ['--expose-gc', ...V8_FLAGS, ...V8_START_FLAGS, MEASURE, c.measure, ...c.files], {
    encoding: 'utf8',
    maxBuffer: 16 * MIB,
  });
  if (child.status !== 0) {
    throw new Error(`${c.key}: measure.ts exited with ${child.status ?? child.signal}\n${child.stderr}`);
  }
  return JSON.parse(child.stdout) as MeasureResult;
}

/** The commit measured, marked `+changes` when the working tree differs from it; `unknown` outside git. */
function revision(): string {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: BENCH_DIR, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return 'unknown';
  const dirty = git('status', '--porcelain', '--', '../src').stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? '+changes' : ''}`;
}

function machine(): Record<string, string> {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: String(availableParallelism()),
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    node: process.version,
    revision: revision(),
  };
}

/** The inputs of every case, and a line per input saying what was generated. */
interface Generated {
  inputs: BenchInputs;
  gz: GzipInputs;
  giant: GiantInputs | undefined;
  giantGz: GzipInputs | undefined;
  scale: ScaleInputs[];
  lines: string[];
}

/** Generates the regular mesh and its gzip copies, the giant mesh (unless `withGiant` is false) and the scale meshes. */
async function generateAll(withGiant: boolean): Promise<Generated> {
  process.stderr.write(`generating the mesh into ${relative(process.cwd(), OUT_DIR)}/ ...\n`);
  const inputs = generateBenchInputs(OUT_DIR);
  const gz = await generateGzipInputs(inputs);
  const { spec, configDump, stats } = inputs;
  const generated = [
    `mesh: seed ${spec.seed}, ${spec.clusters} clusters, ${spec.listeners} listeners, ${spec.listeners} route configurations, ${configDump.endpoints} endpoints`,
    `config_dump.json ${(configDump.bytes / MIB).toFixed(1)} MiB; stats.txt ${(stats.text.bytes / MIB).toFixed(1)} MiB, ` +
      `stats.json ${(stats.json.bytes / MIB).toFixed(1)} MiB, stats.prom ${(stats.prometheus.bytes / MIB).toFixed(1)} MiB ` +
      `(${stats.values} stat values each); generated in ${(inputs.ms / 1000).toFixed(1)} s`,
    `gzip: config_dump.json.gz ${(gz.configDump.bytes / MIB).toFixed(1)} MiB, stats.txt.gz ${(gz.stats.text.bytes / MIB).toFixed(1)} MiB, ` +
      `stats.json.gz ${(gz.stats.json.bytes / MIB).toFixed(1)} MiB, stats.prom.gz ${(gz.stats.prometheus.bytes / MIB).toFixed(1)} MiB; compressed in ${(gz.ms / 1000).toFixed(1)} s`,
  ];
  let giant: GiantInputs | undefined;
  let giantGz: GzipInputs | undefined;
  if (withGiant) {
    process.stderr.write(`generating the giant mesh into ${relative(process.cwd(), GIANT_DIR)}/ (reused when unchanged) ...\n`);
    giant = generateGiantInputs(GIANT_DIR);
    const g = giant;
    generated.push(
      `giant mesh: seed ${g.spec.seed}, ${g.spec.clusters} clusters, ${g.spec.listeners} listeners, ${g.configDump.endpoints} endpoints; ` +
        `giant/config_dump.json ${(g.configDump.bytes / MIB).toFixed(1)} MiB; stats.txt ${(g.stats.text.bytes / MIB).toFixed(1)} MiB (${g.statLines} lines), ` +
        `stats.json ${(g.stats.json.bytes / MIB).toFixed(1)} MiB, stats.prom ${(g.stats.prometheus.bytes / MIB).toFixed(1)} MiB (${g.stats.values} stat values each); ` +
        `${g.reused ? 'reused from an earlier run' : `generated in ${(g.ms / 1000).toFixed(1)} s`}`,
    );
    giantGz = await generateGzipInputs(g, true);
    const z = giantGz;
    generated.push(
      `giant gzip: config_dump.json.gz ${(z.configDump.bytes / MIB).toFixed(1)} MiB, stats.txt.gz ${(z.stats.text.bytes / MIB).toFixed(1)} MiB, ` +
        `stats.json.gz ${(z.stats.json.bytes / MIB).toFixed(1)} MiB, stats.prom.gz ${(z.stats.prometheus.bytes / MIB).toFixed(1)} MiB; ` +
        `${z.reused ? 'reused from an earlier run' : `compressed in ${(z.ms / 1000).toFixed(1)} s`}`,
    );
  }
  const scale: ScaleInputs[] = [];
  for (const [dir, spec, target] of [
    ['broken', BROKEN_MESH, CONFIG_DUMP_TARGET_BYTES],
    ['stalled', STALLED_MESH, 0],
  ] as const) {
    const m = generateScaleInputs(join(OUT_DIR, dir), spec, target);
    scale.push(m);
    generated.push(
      `${dir} mesh: seed ${m.spec.seed}, ${m.spec.clusters} clusters, ${m.spec.listeners} listeners, ${JSON.stringify(m.spec.problems)}; ` +
        `${dir}/config_dump.json ${(m.configDump.bytes / MIB).toFixed(1)} MiB, ${dir}/stats.txt ${(m.stats.bytes / MIB).toFixed(1)} MiB (${m.stats.values} stat values); generated in ${(m.ms / 1000).toFixed(1)} s`,
    );
  }
  return { inputs, gz, giant, giantGz, scale, lines: generated };
}

/** Runs every case its number of times, each in a child process, and returns each case's results. */
function runCases(cases: Case[]): Map<string, MeasureResult[]> {
  const runs = new Map<string, MeasureResult[]>(cases.map((c) => [c.key, []]));
  // Runs are interleaved (every case once, then again) so a slow moment of the machine hits all cases alike.
  for (let run = 1; run <= RUNS; run++) {
    for (const c of cases) {
      if (run > c.runs) continue;
      const result = runChild(c);
      runs.get(c.key)?.push(result);
      process.stderr.write(
        `run ${run}/${c.runs} ${c.title} ${c.files.map((f) => relative(OUT_DIR, f)).join(' + ')}: ${msText(result.ms)} ms, ${result.peakRssMiB.toFixed(0)} MiB\n`,
      );
    }
  }
  return runs;
}

/** A row per case: its median time and peak RSS, and its ratio to the floors it names. */
function summarize(cases: Case[], runs: Map<string, MeasureResult[]>): Row[] {
  const rows: Row[] = cases.map((c) => {
    const results = runs.get(c.key) ?? [];
    return { case: c, runs: results, medianMs: median(results.map((r) => r.ms)), peakRssMiB: Math.max(...results.map((r) => r.peakRssMiB)) };
  });
  const byKey = new Map(rows.map((r) => [r.case.key, r]));
  for (const r of rows) {
    if (r.case.floors.length === 0) continue;
    r.floorMs = r.case.floors.reduce((sum, k) => sum + (byKey.get(k)?.medianMs ?? Number.NaN), 0);
    r.ratio = r.medianMs / r.floorMs;
  }
  return rows;
}

/** Prints the tables, and writes them to results.md and everything measured to results.json. */
function report(rows: Row[], g: Generated, started: number): void {
  const { inputs, gz, scale, giant, giantGz } = g;
  const generated = g.lines;
  const env = machine();
  const header =
    `envoy-doctor ${env.revision}, Node ${env.node} on ${env.cores} × ${env.cpu}, ${env.memory}; ` +
    `median of ${RUNS} runs (${GIANT_RUNS} for the giant mesh), each in a fresh process; peak RSS is the highest of the runs`;
  process.stdout.write(
    `\n${header}\n${generated.join('\n')}\n\n${mainTable(rows, false)}\n\nend-to-end by step (median ms):\n\n${phaseTable(rows, false)}\n\nreports:\n\n${reportTable(rows, false)}\n`,
  );
  process.stdout.write(
    `\nbench took ${((performance.now() - started) / 1000).toFixed(0)} s; results in ${relative(process.cwd(), OUT_DIR)}/results.{json,md}\n`,
  );

  writeFileSync(
    join(OUT_DIR, 'results.md'),
    `${header}\n\n${generated.join('\n\n')}\n\n${mainTable(rows, true)}\n\n${phaseTable(rows, true)}\n\n${reportTable(rows, true)}\n`,
  );
  writeFileSync(
    join(OUT_DIR, 'results.json'),
    `${JSON.stringify({ machine: env, inputs, gz, scale, giant, giantGz, rows: rows.map((r) => ({ ...r, case: { ...r.case, files: r.case.files.map((f) => relative(OUT_DIR, f)) } })) }, null, 2)}\n`,
  );
}

async function main(): Promise<void> {
  const started = performance.now();
  const args = process.argv.slice(2);
  const generated = await generateAll(!args.includes('--no-giant'));
  process.stderr.write(`${generated.lines.join('\n')}\n`);
  // The generator's garbage is the parent's; drop it so the children have the machine to themselves.
  (globalThis as { gc?: () => void }).gc?.();
  const cases = casesFor(generated.inputs, generated.gz, generated.scale, generated.giant, generated.giantGz);
  const rows = summarize(cases, runCases(cases));
  report(rows, generated, started);
  if (args.includes('--clean')) {
    rmSync(GIANT_DIR, { recursive: true, force: true });
    process.stdout.write(`deleted ${relative(process.cwd(), GIANT_DIR)}/\n`);
  }
}

await main();
// The fleet benchmark runs after, with its own servers and table (bench/fleet.ts), then start-up (bench/startup.ts).
await runFleetBench();
runStartupBench();
