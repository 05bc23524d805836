// The start-up benchmark: how long `envoy-doctor --version`, `list` and `explain` take from process start to exit,
// against a bare `node -e 0` of the same Node.js. Each command runs RUNS times, interleaved with the others, each
// time in a fresh process; the table gives the median and the fastest wall time and the ratio of the medians to bare
// Node.js (aim: within 4x). The single-file executable (`npm run build:sea`) is measured too when dist-sea/ has one.
//
//   node bench/startup.ts          prints the table, writes bench/out/startup.{md,json}

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT_DIR = join(ROOT, 'bench', 'out');
const RUNS = 21;
/** The start-up aim: each command within this many times bare Node.js. */
export const STARTUP_AIM = 4;

interface StartupCase {
  label: string;
  command: string;
  args: string[];
}

/** One row of the start-up table. */
export interface StartupRow {
  label: string;
  medianMs: number;
  minMs: number;
  /** The median over bare Node.js's median. */
  ratio: number;
}

function cases(): StartupCase[] {
  const bin = join(ROOT, 'bin', 'envoy-doctor.js');
  const sea = join(ROOT, 'dist-sea', 'envoy-doctor');
  const commands = [['--version'], ['list'], ['explain', 'flow-control-stall']];
  return [
    { label: 'node -e 0 (bare Node.js)', command: process.execPath, args: ['-e', '0'] },
    ...commands.map((args) => ({ label: `envoy-doctor ${args.join(' ')}`, command: process.execPath, args: [bin, ...args] })),
    ...(existsSync(sea) ? commands.map((args) => ({ label: `single-file executable ${args.join(' ')}`, command: sea, args })) : []),
  ];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Measures every case RUNS times, interleaved. */
export function startupBench(): StartupRow[] {
  const all = cases();
  const times = all.map(() => [] as number[]);
  for (let r = 0; r < RUNS; r++) {
    all.forEach((c, i) => {
      const started = performance.now();
      const child = spawnSync(c.command, c.args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      const ms = performance.now() - started;
      if (child.status !== 0) throw new Error(`${c.label} exited with ${child.status ?? child.signal}: ${child.stderr}`);
      times[i]?.push(ms);
    });
  }
  const bare = median(times[0] as number[]);
  return all.map((c, i) => ({
    label: c.label,
    medianMs: median(times[i] as number[]),
    minMs: Math.min(...(times[i] as number[])),
    ratio: median(times[i] as number[]) / bare,
  }));
}

/** The start-up table in Markdown. */
export function startupTable(rows: StartupRow[]): string {
  const lines = ['| command | median ms | fastest ms | × bare Node.js |', '| --- | ---: | ---: | ---: |'];
  for (const r of rows) lines.push(`| ${r.label} | ${r.medianMs.toFixed(0)} | ${r.minMs.toFixed(0)} | ${r.ratio.toFixed(2)}× |`);
  return lines.join('\n');
}

/** Runs the start-up benchmark, prints its table and writes bench/out/startup.{md,json}. */
export function runStartupBench(): void {
  // bin/envoy-doctor.js runs dist/: built from the sources measured.
  const build = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed:\n${build.stdout}${build.stderr}`);
  const rows = startupBench();
  const header = `start-up: median of ${RUNS} fresh processes each, interleaved, Node.js ${process.versions.node}; aim: within ${STARTUP_AIM}x bare Node.js`;
  const table = startupTable(rows);
  process.stdout.write(`\n${header}\n\n${table}\n`);
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, 'startup.md'), `${header}\n\n${table}\n`);
  writeFileSync(join(OUT_DIR, 'startup.json'), `${JSON.stringify(rows, null, 2)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) runStartupBench();
