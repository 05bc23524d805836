// One measurement in a fresh process, so its peak RSS is its own: `node bench/measure.ts <case> <file>...`.
// Prints one JSON line (MeasureResult) on stdout. Time covers reading the input through the last step; module
// loading (the analyzers included) happens before the clock starts. Cases:
//   baseline                  nothing: Node with the modules loaded, for reading the RSS figures
//   floor-json <file>         JSON.parse(readFileSync(file)): the least any JSON reader can do
//   floor-lines <file>        readFileSync(file) split into lines: the least any line-oriented stats reader can do
//   parse-config <dump>       parseConfigDocument(readFileSync(dump)): src/parse/config-document.ts
//   end-to-end <dump> <stats> config parse + knownEntities + parseStats + assembleSnapshot + diagnose

import { readFileSync } from 'node:fs';
import { loadAnalyzers } from '../src/analyzers/index.ts';
import { inputChunks } from '../src/collect/read-input.ts';
import { diagnose } from '../src/diagnose/diagnose.ts';
import { assembleSnapshot, knownEntities } from '../src/parse/assemble.ts';
import { parseConfigDocument } from '../src/parse/config-document.ts';
import { parseStats } from '../src/parse/stats.ts';

/** The cases this script measures. */
const CASES = ['baseline', 'floor-json', 'floor-lines', 'parse-config', 'end-to-end'] as const;

/** A case name. */
export type MeasureCase = (typeof CASES)[number];

/** What one measurement prints. */
export interface MeasureResult {
  case: MeasureCase;
  /** Wall time of the measured work. */
  ms: number;
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

/** Runs one case and returns its figures. */
async function measure(name: MeasureCase, files: string[]): Promise<MeasureResult> {
  const [first, second] = files;
  const need = (file: string | undefined): string => {
    if (file === undefined) throw new Error(`${name}: missing file argument`);
    return file;
  };
  await loadAnalyzers();
  (globalThis as { gc?: () => void }).gc?.();
  const startRssMiB = process.memoryUsage.rss() / MIB;
  const phases: Record<string, number> = {};
  const check: Record<string, number> = {};
  const start = performance.now();
  let mark = start;
  const phase = (label: string): void => {
    const now = performance.now();
    phases[label] = now - mark;
    mark = now;
  };

  switch (name) {
    case 'baseline':
      break;
    case 'floor-json': {
      const doc = JSON.parse(readFileSync(need(first), 'utf8')) as object;
      check.topLevelKeys = Object.keys(doc).length;
      break;
    }
    case 'floor-lines': {
      check.lines = readFileSync(need(first), 'utf8').split('\n').length;
      break;
    }
    case 'parse-config': {
      const [config] = parseConfigDocument(readFileSync(need(first)), need(first), 'bench');
      check.clusters = config?.clusters.size ?? 0;
      check.listeners = config?.listeners.length ?? 0;
      check.routes = config?.routes.length ?? 0;
      break;
    }
    case 'end-to-end': {
      const dump = need(first);
      const statsPath = need(second);
      const [config] = parseConfigDocument(readFileSync(dump), dump, 'bench');
      if (!config) throw new Error(`${dump}: no proxy in the config dump`);
      phase('config');
      const known = knownEntities(config);
      phase('known');
      const stats = await parseStats(inputChunks(statsPath), statsPath, known);
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
      break;
    }
  }
  const ms = performance.now() - start;
  const result: MeasureResult = { case: name, ms, peakRssMiB: process.resourceUsage().maxRSS / 1024, startRssMiB, check };
  if (Object.keys(phases).length > 0) result.phases = phases;
  return result;
}

const [name, ...files] = process.argv.slice(2);
if (!CASES.includes(name as MeasureCase)) {
  process.stderr.write(`usage: node bench/measure.ts <${CASES.join('|')}> <file>...\n`);
  process.exit(64);
}
process.stdout.write(`${JSON.stringify(await measure(name as MeasureCase, files))}\n`);
