// One measurement in a fresh process, so its peak RSS is its own: `node bench/measure.ts <case> <file>...`.
// Prints one JSON line (MeasureResult) on stdout. Time covers reading the input through the last step; module
// loading (the analyzers included) happens before the clock starts. Cases:
//   baseline                  nothing: Node with the modules loaded, for reading the RSS figures
//   floor-json <file>         JSON.parse(readFileSync(file)): the least any JSON reader can do
//   floor-lines <file>        readFileSync(file) split into lines: the least any line-oriented stats reader can do
//   floor-scan <file>         the file read as a stream (gunzipped when gzip) and scanned by the JSON scanner, keeping
//                             nothing: the floor for files too large for one string, where JSON.parse cannot run
//   parse-config <dump>       parseConfigDumpChunks(inputChunks(dump)), readable again as a file, as `analyze --config-dump` does
//   parse-config-whole <dump> parseConfigDocument(readFileSync(dump)): the whole-document path (YAML, small inputs)
//   end-to-end <dump> <stats> config parse + knownEntities + parseStats + assembleSnapshot + diagnose
//   analyze <file>            `envoy-doctor analyze --config-dump|--stats <file> -o json` in this process, as the
//                             command runs it (the report is counted, not printed)
//   report-table <dump> <stats>, report-json <dump> <stats>
//                             `envoy-doctor analyze --config-dump <dump> --stats <stats>` with the table or the JSON
//                             report, in this process; its lines and root causes are counted
// The floors of a .gz file include decompressing it (gunzipSync).

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { loadAnalyzers } from '../src/analyzers/index.ts';
import { main } from '../src/cli/main.ts';
import { inputChunks } from '../src/collect/read-input.ts';
import { neededStats } from '../src/diagnose/stats-to-read.ts';
import { keptStats } from '../src/parse/kept-stats.ts';
import { diagnose } from '../src/cli/diagnosis.ts';
import { assembleSnapshot, knownEntities } from '../src/parse/assemble.ts';
import { parseConfigDocument } from '../src/parse/config-document.ts';
import { parseConfigDumpChunks } from '../src/parse/config-stream.ts';
import { scanJsonChunks } from '../src/parse/json-stream.ts';
import { parseStats } from '../src/parse/stats.ts';

/** The cases this script measures. */
const CASES = [
  'baseline',
  'floor-json',
  'floor-lines',
  'floor-scan',
  'parse-config',
  'parse-config-whole',
  'end-to-end',
  'analyze',
  'report-table',
  'report-json',
] as const;

/** The cases that run the command itself (`main`), and the modules it imports as it runs (src/cli/main.ts). */
const COMMAND_CASES: ReadonlySet<string> = new Set(['analyze', 'report-table', 'report-json']);
const COMMAND_MODULES = [
  '../src/collect/files.ts',
  '../src/collect/manifests.ts',
  '../src/cli/diagnosis.ts',
  '../src/report/json.ts',
  '../src/report/table.ts',
];

/** A case name. */
export type MeasureCase = (typeof CASES)[number];

/** What one measurement prints. */
export interface MeasureResult {
  case: MeasureCase;
  /** Wall time of the measured work. */
  ms: number;
  /** CPU time (user + system) of the process over the same span. */
  cpuMs?: number;
  /** Wall time per step, for end-to-end. */
  phases?: Record<string, number>;
  /** `process.resourceUsage().maxRSS` at the end, in MiB. */
  peakRssMiB: number;
  /** RSS just before the clock started (Node, the modules and nothing else), in MiB. */
  startRssMiB: number;
  /** Sizes of what was produced, so a run that did nothing cannot pass for a fast one. */
  check: Record<string, number>;
}

const MIB = 1024 * 1024;

/** A file's text, decompressed when it is gzip. */
function readText(path: string): string {
  const bytes = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** What a case has to hand: its files, the figures it fills in, and the clock's split into phases. */
interface CaseContext {
  name: MeasureCase;
  first: string | undefined;
  second: string | undefined;
  /** The file argument, which the case cannot do without. */
  need(file: string | undefined): string;
  /** Ends the current phase (end-to-end's steps). */
  phase(label: string): void;
  check: Record<string, number>;
  /** When the clock started. */
  start: number;
}

/** The work of one case; returns its time when the case stops the clock itself, before counting what it produced. */
type CaseRun = (c: CaseContext) => Promise<number | undefined>;

/** A parsed proxy's clusters, listeners and routes, counted into `check`. */
function countConfig(check: Record<string, number>, config: { clusters: Map<string, unknown>; listeners: unknown[]; routes: unknown[] } | undefined): void {
  check.clusters = config?.clusters.size ?? 0;
  check.listeners = config?.listeners.length ?? 0;
  check.routes = config?.routes.length ?? 0;
}

/** Config parse + knownEntities + parseStats + assembleSnapshot + diagnose, each step a phase. */
async function endToEnd({ need, first, second, phase, check }: CaseContext): Promise<undefined> {
  const dump = need(first);
  const statsPath = need(second);
  const [config] = await parseConfigDumpChunks(inputChunks(dump), dump, 'bench', { reread: () => inputChunks(dump) });
  if (!config) throw new Error(`${dump}: no proxy in the config dump`);
  phase('config');
  const known = knownEntities(config);
  phase('known');
  // Only the stats the diagnosis reads are held, as the command reads a stats file.
  const stats = await parseStats(inputChunks(statsPath), statsPath, known, undefined, keptStats(false, neededStats()));
  phase('stats');
  const snapshot = assembleSnapshot({ id: config.id, config, stats, inputs: { configDump: dump, stats: statsPath } });
  phase('assemble');
  const diagnosis = await diagnose([snapshot]);
  phase('diagnose');
  check.clusters = config.clusters.size;
  check.statValues = stats.count;
  check.clustersWithStats = stats.clusters.size;
  check.findings = diagnosis.findings.length;
  check.rootCauses = diagnosis.rootCauses.length;
  check.fixes = diagnosis.rootCauses.reduce((n, r) => n + r.fixes.length, 0);
  return undefined;
}

/** `analyze --config-dump|--stats <file> -o json` in this process; the report is counted, not printed. */
async function analyzeOne({ need, first, check }: CaseContext): Promise<undefined> {
  const file = need(first);
  const role = /config_dump/.test(file) ? '--config-dump' : '--stats';
  let bytes = 0;
  const io = {
    stdout: (t: string) => void (bytes += t.length),
    stderr: (t: string) => void process.stderr.write(t),
    isTTY: false,
    stderrIsTTY: false,
    env: {},
  };
  check.exitCode = await main(['node', 'envoy-doctor', 'analyze', role, file, '-o', 'json'], io);
  check.reportBytes = bytes;
  return undefined;
}

/** `analyze --config-dump <dump> --stats <stats>` with the table or the JSON report; stops the clock before counting. */
async function analyzeReport({ name, need, first, second, check, start }: CaseContext): Promise<number> {
  const dump = need(first);
  const statsPath = need(second);
  // The report is counted as it is written, as a pipe would take it, and not kept: only its first and last
  // pieces, where the table's summary and the JSON report's summary are.
  let bytes = 0;
  let lines = 0;
  let head = '';
  let tail = '';
  const stdout = (t: string) => {
    bytes += t.length;
    for (let at = t.indexOf('\n'); at >= 0; at = t.indexOf('\n', at + 1)) lines++;
    if (head === '') head = t.slice(0, 65_536);
    tail = (tail + t).slice(-65_536);
  };
  const io = { stdout, stderr: (t: string) => void process.stderr.write(t), isTTY: false, stderrIsTTY: false, env: {} };
  check.exitCode = await main(
    ['node', 'envoy-doctor', 'analyze', '--config-dump', dump, '--stats', statsPath, '-o', name === 'report-table' ? 'table' : 'json'],
    io,
  );
  const ms = performance.now() - start;
  check.reportBytes = bytes;
  check.reportLines = lines;
  check.rootCauses = Number((name === 'report-table' ? /^SUMMARY: (\d+) root cause/m.exec(head) : /"summary": \{\s*"rootCauses": (\d+)/.exec(tail))?.[1] ?? -1);
  return ms;
}

/** The work of each case. */
const CASE_WORK: Record<MeasureCase, CaseRun> = {
  baseline: async () => undefined,
  'floor-json': async ({ need, first, check }) => {
    const doc = JSON.parse(readText(need(first))) as object;
    check.topLevelKeys = Object.keys(doc).length;
    return undefined;
  },
  'floor-lines': async ({ need, first, check }) => {
    check.lines = readText(need(first)).split('\n').length;
    return undefined;
  },
  'floor-scan': async ({ need, first, check }) => {
    let values = 0;
    await scanJsonChunks(
      inputChunks(need(first)),
      need(first),
      { decide: (path) => (path.length === 0 ? 'descend' : 'skip'), value: () => values++ },
      { expected: 'JSON' },
    );
    check.values = values;
    return undefined;
  },
  'parse-config': async ({ need, first, check }) => {
    const [config] = await parseConfigDumpChunks(inputChunks(need(first)), need(first), 'bench', { reread: () => inputChunks(need(first)) });
    countConfig(check, config);
    return undefined;
  },
  'parse-config-whole': async ({ need, first, check }) => {
    const [config] = parseConfigDocument(readFileSync(need(first)), need(first), 'bench');
    countConfig(check, config);
    return undefined;
  },
  'end-to-end': endToEnd,
  analyze: analyzeOne,
  'report-table': analyzeReport,
  'report-json': analyzeReport,
};

/** Runs one case and returns its figures. */
async function measure(name: MeasureCase, files: string[]): Promise<MeasureResult> {
  const [first, second] = files;
  const need = (file: string | undefined): string => {
    if (file === undefined) throw new Error(`${name}: missing file argument`);
    return file;
  };
  await loadAnalyzers();
  // The command imports its parsers, diagnosis and reports when it runs: they are loaded before the clock starts too.
  if (COMMAND_CASES.has(name)) await Promise.all(COMMAND_MODULES.map((m) => import(m)));
  (globalThis as { gc?: () => void }).gc?.();
  const startRssMiB = process.memoryUsage.rss() / MIB;
  const phases: Record<string, number> = {};
  const check: Record<string, number> = {};
  const cpu = process.cpuUsage();
  const start = performance.now();
  let mark = start;
  const phase = (label: string): void => {
    const now = performance.now();
    phases[label] = now - mark;
    mark = now;
  };
  const stoppedMs = await CASE_WORK[name]({ name, first, second, need, phase, check, start });
  const ms = stoppedMs ?? performance.now() - start;
  const used = process.cpuUsage(cpu);
  const result: MeasureResult = {
    case: name,
    ms,
    cpuMs: (used.user + used.system) / 1000,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    startRssMiB,
    check,
  };
  if (Object.keys(phases).length > 0) result.phases = phases;
  return result;
}

const [name, ...files] = process.argv.slice(2);
if (!CASES.includes(name as MeasureCase)) {
  process.stderr.write(`usage: node bench/measure.ts <${CASES.join('|')}> <file>...\n`);
  process.exit(64);
}
process.stdout.write(`${JSON.stringify(await measure(name as MeasureCase, files))}\n`);
