// The fleet benchmark: N local admin servers on 127.0.0.1 (one process, answering each request after the pod's
// latency, 20-200 ms, with the bodies of the samples), diagnosed live at --concurrency 16 with a 1 s interval by
// the same pipeline `envoy-doctor diagnose` runs, in a fresh process whose peak RSS is its own. Pod i belongs to
// deployment i mod 10, and each deployment serves one sample, so every fleet size has the same 10 problems.
//
//   node --expose-gc bench/fleet.ts                  every fleet size, and the slowest pod alone; prints the table
//   node bench/fleet.ts servers <n>                  (internal) serves n pods, prints their URLs as one JSON line
//   node bench/fleet.ts run <spec.json>              (internal) diagnoses the pods the spec names, prints FleetResult

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { V8_FLAGS, V8_START_FLAGS } from '../src/cli/v8-flags.ts';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(BENCH_DIR, '..');
const OUT_DIR = join(BENCH_DIR, 'out');
const MIB = 1024 * 1024;

/** The samples the deployments serve: one problem each. */
export const FLEET_SAMPLES = [
  'circuit-breaker-saturation',
  'connection-max-duration',
  'home-assistant-websocket-drops',
  'listener-drain',
  'passthrough-idle-timeout',
  'request-buffer-blocks-upgrade',
  'route-timeout-on-upgrade',
  'stream-idle-timeout',
  'upstream-http2-websocket',
  'websocket-upgrade-disabled',
] as const;

/** Fleet sizes measured. */
export const FLEET_SIZES = [50, 100, 200, 400, 800] as const;
/** The fleet size the wall-time aim (3x the slowest pod) and the heap-capped run are for. */
const TARGET_SIZE = 200;
const CONCURRENCY = 16;
const INTERVAL_MS = 1000;
const RUNS = 3;
const HEAP_CAP_MIB = 96;

/** The Node.js options deploy/cronjob.yaml gives the command (its heap cap), so the bench measures what is deployed. */
export function cronJobNodeOptions(): string[] {
  type Container = { env?: Array<{ name: string; value?: string }> };
  const cronJob = parseYaml(readFileSync(join(ROOT, 'deploy/cronjob.yaml'), 'utf8')) as {
    spec: { jobTemplate: { spec: { template: { spec: { containers: Container[] } } } } };
  };
  const env = cronJob.spec.jobTemplate.spec.template.spec.containers[0]?.env ?? [];
  return (env.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '').split(/\s+/).filter(Boolean);
}

/** One pod of the fleet. */
export interface FleetPod {
  id: string;
  url: string;
  latencyMs: number;
  owner: string;
  sample: string;
}

/** What one run prints. */
export interface FleetResult {
  pods: number;
  ms: number;
  peakRssMiB: number;
  startRssMiB: number;
  snapshots: number;
  notCollected: number;
  rootCauses: number;
  /** Root causes before merging: the sum over pods. */
  perPodRootCauses: number;
  findings: number;
  /** Bytes of the JSON report. */
  reportBytes: number;
  /** Highest heap in use seen while running (sampled every 50 ms), in MiB. */
  peakHeapMiB: number;
  /** Heap still in use after the run and a full garbage collection (what the diagnosis keeps), in MiB. */
  retainedHeapMiB: number;
  /** Heap in use after a full garbage collection before the run, in MiB. */
  startHeapMiB: number;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Pod i's latency: spread evenly over 20-200 ms with a fixed shuffle, so the slowest pod is always 200 ms. */
function latencyOf(i: number, n: number): number {
  const rank = (i * 7919) % n;
  return Math.round(20 + (180 * rank) / Math.max(1, n - 1));
}

async function serve(n: number): Promise<void> {
  const { startAdminServer } = await import('../test/helpers/admin-server.ts');
  const pods: FleetPod[] = [];
  for (let i = 0; i < n; i++) {
    const sample = FLEET_SAMPLES[i % FLEET_SAMPLES.length] as string;
    const latencyMs = latencyOf(i, n);
    const server = await startAdminServer({ dir: join(ROOT, 'samples', sample), latencyMs });
    pods.push({ id: `envoy-${sample}-${String(i).padStart(3, '0')}`, url: server.url, latencyMs, owner: `deployment fleet/${sample}`, sample });
  }
  process.stdout.write(`${JSON.stringify(pods)}\n`);
  // Serves until the parent closes standard input.
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

async function run(specFile: string): Promise<void> {
  const pods = JSON.parse(readFileSync(specFile, 'utf8')) as FleetPod[];
  const [{ diagnosisSink }, { collectAll }, { DIAGNOSE_READS }, { startDiagnosis }, { renderJson }] = await Promise.all([
    import('../src/collect/capture.ts'),
    import('../src/collect/live-collection.ts'),
    import('../src/cli/live.ts'),
    import('../src/cli/diagnosis.ts'),
    import('../src/report/json.ts'),
  ]);
  gc();
  const startRssMiB = process.memoryUsage.rss() / MIB;
  const startHeapMiB = process.memoryUsage().heapUsed / MIB;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 50);
  const started = performance.now();
  const fleet = await startDiagnosis('summary');
  const sink = await diagnosisSink(fleet);
  const targets = pods.map((p) => ({
    id: p.id,
    namespace: 'fleet',
    owner: p.owner,
    admin: p.url,
    open: async () => ({ base: p.url, close: async () => undefined }),
  }));
  try {
    await collectAll(targets, { intervalMs: INTERVAL_MS, concurrency: CONCURRENCY, timeoutMs: 15_000, retries: 2, reads: DIAGNOSE_READS }, sink);
  } finally {
    await sink.close();
  }
  const d = fleet.result();
  const report = renderJson(d, { name: 'envoy-doctor', version: 'bench' }, { failOn: 'none' });
  const ms = performance.now() - started;
  clearInterval(sampler);
  gc();
  const retainedHeapMiB = process.memoryUsage().heapUsed / MIB;
  const result: FleetResult = {
    peakHeapMiB: peakHeap / MIB,
    retainedHeapMiB,
    startHeapMiB,
    pods: pods.length,
    ms,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    startRssMiB,
    snapshots: d.snapshots.length,
    notCollected: d.notCollected.length,
    rootCauses: d.rootCauses.length,
    perPodRootCauses: fleet.unmergedRootCauses,
    findings: d.findings.length,
    reportBytes: report.length,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function startServers(n: number): Promise<{ pods: FleetPod[]; child: ChildProcess }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'servers', String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.once('line', (l) => {
      rl.close();
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`fleet servers exited with ${code}`)));
  });
  return { pods: JSON.parse(line) as FleetPod[], child };
}

function runOnce(pods: FleetPod[], label: string, flags: string[]): FleetResult {
  const spec = join(OUT_DIR, `fleet-${label}.json`);
  writeFileSync(spec, JSON.stringify(pods));
  const child = spawnSync(process.execPath, ['--expose-gc', ...V8_FLAGS, ...V8_START_FLAGS, ...flags, fileURLToPath(import.meta.url), 'run', spec], {
    encoding: 'utf8',
    maxBuffer: 16 * MIB,
  });
  if (child.status !== 0) throw new Error(`fleet run ${label} exited with ${child.status ?? child.signal}\n${child.stderr}`);
  return JSON.parse(child.stdout) as FleetResult;
}

/** One row of the fleet table. */
export interface FleetRow {
  label: string;
  pods: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  peakRssMiB: number;
  startRssMiB: number;
  peakHeapMiB: number;
  retainedHeapMiB: number;
  startHeapMiB: number;
  rootCauses: number;
  perPodRootCauses: number;
  notCollected: number;
}

function row(label: string, results: FleetResult[]): FleetRow {
  const ms = results.map((r) => r.ms);
  const last = results.at(-1) as FleetResult;
  return {
    label,
    pods: last.pods,
    medianMs: median(ms),
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
    peakRssMiB: Math.max(...results.map((r) => r.peakRssMiB)),
    startRssMiB: Math.max(...results.map((r) => r.startRssMiB)),
    peakHeapMiB: Math.max(...results.map((r) => r.peakHeapMiB)),
    retainedHeapMiB: Math.max(...results.map((r) => r.retainedHeapMiB)),
    startHeapMiB: Math.max(...results.map((r) => r.startHeapMiB)),
    rootCauses: last.rootCauses,
    perPodRootCauses: last.perPodRootCauses,
    notCollected: Math.max(...results.map((r) => r.notCollected)),
  };
}

/** The fleet table, as aligned text or Markdown. */
export function fleetTable(rows: FleetRow[], markdown: boolean): string {
  const single = rows.find((r) => r.pods === 1);
  const headers = [
    'case',
    'pods',
    'median ms',
    'min-max ms',
    '× slowest pod',
    'peak RSS MiB',
    'RSS before MiB',
    'peak heap MiB',
    'heap kept MiB',
    'root causes',
    'unmerged',
    'not collected',
  ];
  const cells = rows.map((r) => [
    r.label,
    String(r.pods),
    r.medianMs.toFixed(0),
    `${r.minMs.toFixed(0)}-${r.maxMs.toFixed(0)}`,
    single ? `${(r.medianMs / single.medianMs).toFixed(2)}×` : '-',
    r.peakRssMiB.toFixed(0),
    r.startRssMiB.toFixed(0),
    r.peakHeapMiB.toFixed(0),
    // What the diagnosis keeps after a full collection, above the heap before the run.
    `+${(r.retainedHeapMiB - r.startHeapMiB).toFixed(1)}`,
    String(r.rootCauses),
    String(r.perPodRootCauses),
    String(r.notCollected),
  ]);
  if (markdown) {
    const line = (c: string[]) => `| ${c.join(' | ')} |`;
    return [line(headers), line(headers.map((_, i) => (i === 0 ? '---' : '---:'))), ...cells.map(line)].join('\n');
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(widths[i] as number) : x.padStart(widths[i] as number))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** Runs the fleet benchmark: the slowest pod alone, then every fleet size, RUNS times each, interleaved. */
export async function fleetBench(): Promise<{ rows: FleetRow[]; text: string; markdown: string }> {
  await mkdir(OUT_DIR, { recursive: true });
  const largest = Math.max(...FLEET_SIZES);
  const { pods, child } = await startServers(largest);
  try {
    const slowest = pods.reduce((a, b) => (b.latencyMs > a.latencyMs ? b : a));
    const cases: Array<{ label: string; pods: FleetPod[]; flags: string[] }> = [
      { label: `slowest pod alone (${slowest.latencyMs} ms a request)`, pods: [slowest], flags: [] },
      ...FLEET_SIZES.map((n) => ({ label: `fleet of ${n}`, pods: pods.slice(0, n), flags: [] })),
      // The same run with V8's old space capped: what the run needs, rather than what a lazy collector lets grow.
      {
        label: `fleet of ${TARGET_SIZE}, heap capped at ${HEAP_CAP_MIB} MiB`,
        pods: pods.slice(0, TARGET_SIZE),
        flags: [`--max-old-space-size=${HEAP_CAP_MIB}`],
      },
      // The largest fleet with the CronJob's NODE_OPTIONS: what deploy/'s memory limit is sized from.
      { label: `fleet of ${largest}, as deploy/ runs it (${cronJobNodeOptions().join(' ')})`, pods, flags: cronJobNodeOptions() },
    ];
    const results = new Map<string, FleetResult[]>(cases.map((c) => [c.label, []]));
    for (let r = 1; r <= RUNS; r++) {
      for (const c of cases) {
        const result = runOnce(c.pods, String(c.pods.length), c.flags);
        results.get(c.label)?.push(result);
        process.stderr.write(
          `fleet run ${r}/${RUNS} ${c.label}: ${result.ms.toFixed(0)} ms, ${result.peakRssMiB.toFixed(0)} MiB, ${result.rootCauses} root causes\n`,
        );
      }
    }
    const rows = cases.map((c) => row(c.label, results.get(c.label) ?? []));
    const header = `fleet: ${FLEET_SAMPLES.length} deployments (one sample each), latency 20-200 ms a request, --concurrency ${CONCURRENCY}, --interval ${INTERVAL_MS / 1000}s; median of ${RUNS} runs, each in a fresh process`;
    return { rows, text: `${header}\n\n${fleetTable(rows, false)}`, markdown: `${header}\n\n${fleetTable(rows, true)}` };
  } finally {
    child.stdin?.end();
    child.kill();
  }
}

/** Runs the fleet benchmark, prints its table and writes bench/out/fleet.{md,json}. */
export async function runFleetBench(): Promise<void> {
  const { text, markdown, rows } = await fleetBench();
  process.stdout.write(`\n${text}\n`);
  writeFileSync(join(OUT_DIR, 'fleet.md'), `${markdown}\n`);
  writeFileSync(join(OUT_DIR, 'fleet.json'), `${JSON.stringify(rows, null, 2)}\n`);
}

const [mode, arg] = process.argv.slice(2);
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (mode === 'servers') await serve(Number(arg));
  else if (mode === 'run') await run(arg as string);
  else await runFleetBench();
}
