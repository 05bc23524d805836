// The tables `npm run bench` prints and writes to bench/out/results.md: the cases with their medians, peak RSS and
// ratios to their floors, the phases of the end-to-end cases, and the reports of the mesh-scale cases.

import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MeasureCase, MeasureResult } from './measure.ts';

/** Where the bench lives, and where it writes its inputs and results. */
export const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
export const OUT_DIR = join(BENCH_DIR, 'out');
export const MIB = 1024 * 1024;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** One row of the table: a measured case on given inputs, and the floors it is compared with. */
export interface Case {
  key: string;
  title: string;
  measure: MeasureCase;
  files: string[];
  bytes: number;
  /** Keys of the cases whose summed median time is this case's floor. */
  floors: string[];
  /** Runs of this case. */
  runs: number;
}

/** A case with its runs and the figures derived from them. */
export interface Row {
  case: Case;
  runs: MeasureResult[];
  medianMs: number;
  peakRssMiB: number;
  floorMs?: number;
  ratio?: number;
}

function fixed(value: number | undefined, digits: number): string {
  return value === undefined ? '-' : value.toFixed(digits);
}

export function msText(value: number | undefined): string {
  if (value === undefined) return '-';
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

/** Lays a table out as aligned text, or as Markdown. */
function table(headers: string[], rows: string[][], markdown: boolean): string {
  const numeric = headers.map((_, i) => rows.every((r) => /^[-\d.,×x ]*$/.test(r[i] ?? '')));
  if (markdown) {
    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    return [line(headers), line(numeric.map((n) => (n ? '---:' : '---'))), ...rows.map(line)].join('\n');
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function mainTable(rows: Row[], markdown: boolean): string {
  const byKey = new Map(rows.map((r) => [r.case.key, r]));
  const headers = ['case', 'input', 'size MiB', 'median ms', 'min-max ms', 'peak RSS MiB', 'floor', 'floor ms', 'time / floor'];
  const range = (r: Row) => `${msText(Math.min(...r.runs.map((x) => x.ms)))}-${msText(Math.max(...r.runs.map((x) => x.ms)))}`;
  return table(
    headers,
    rows.map((r) => [
      r.case.title,
      r.case.files.map((f) => relative(OUT_DIR, f)).join(' + ') || '-',
      r.case.bytes > 0 ? fixed(r.case.bytes / MIB, 1) : '-',
      msText(r.medianMs),
      r.case.measure === 'baseline' ? '-' : range(r),
      fixed(r.peakRssMiB, 0),
      r.case.floors
        .map(
          (k) =>
            `${byKey.get(k)?.case.title.replace('floor: ', '')} ${byKey
              .get(k)
              ?.case.files.map((f) => relative(OUT_DIR, f))
              .join('')}`,
        )
        .join(' + ') || '-',
      msText(r.floorMs),
      r.ratio === undefined ? '-' : `${r.ratio.toFixed(2)}×`,
    ]),
    markdown,
  );
}

export function phaseTable(rows: Row[], markdown: boolean): string {
  const byKey = new Map(rows.map((r) => [r.case.key, r]));
  const e2e = rows.filter((r) => r.case.measure === 'end-to-end');
  const phase = (r: Row, name: string) => median(r.runs.map((run) => run.phases?.[name] ?? 0));
  const headers = [
    'inputs',
    'config ms',
    'known ms',
    'stats ms',
    'stats floor ms',
    'stats / floor',
    'JSON.parse of the sample ms',
    'stats / JSON.parse',
    'assemble ms',
    'diagnose ms',
    'stat values',
    'findings',
    'root causes',
    'fixes',
  ];
  // The same sample as JSON, parsed whole: the yardstick for every stats format, whatever its own floor.
  const jsonFloorOf = (statsPath: string | undefined) => {
    const jsonPath = statsPath?.replace(/stats\.(txt|json|prom)(\.gz)?$/, 'stats.json$2');
    return rows.find((x) => x.case.measure === 'floor-json' && x.case.files[0] === jsonPath)?.medianMs;
  };
  return table(
    headers,
    e2e.map((r) => {
      const statsFloor = byKey.get(r.case.floors[1] ?? '')?.medianMs;
      const jsonFloor = jsonFloorOf(r.case.files[1]);
      const stats = phase(r, 'stats');
      const check = r.runs[0]?.check ?? {};
      return [
        r.case.files.map((f) => relative(OUT_DIR, f)).join(' + '),
        msText(phase(r, 'config')),
        msText(phase(r, 'known')),
        msText(stats),
        msText(statsFloor),
        statsFloor ? `${(stats / statsFloor).toFixed(2)}×` : '-',
        msText(jsonFloor),
        jsonFloor ? `${(stats / jsonFloor).toFixed(2)}×` : '-',
        msText(phase(r, 'assemble')),
        msText(phase(r, 'diagnose')),
        String(check.statValues ?? '-'),
        String(check.findings ?? '-'),
        String(check.rootCauses ?? '-'),
        String(check.fixes ?? '-'),
      ];
    }),
    markdown,
  );
}

/** The command's reports: time against its floor, root causes, and how long the report is. */
export function reportTable(rows: Row[], markdown: boolean): string {
  const reports = rows.filter((r) => r.case.measure === 'report-table' || r.case.measure === 'report-json');
  const headers = ['report', 'inputs', 'median ms', 'peak RSS MiB', 'floor ms', 'time / floor', 'root causes', 'report lines', 'report MiB'];
  return table(
    headers,
    reports.map((r) => {
      const check = r.runs[0]?.check ?? {};
      return [
        r.case.measure === 'report-table' ? 'table' : 'JSON',
        r.case.files.map((f) => relative(OUT_DIR, f)).join(' + '),
        msText(r.medianMs),
        fixed(r.peakRssMiB, 0),
        msText(r.floorMs),
        r.ratio === undefined ? '-' : `${r.ratio.toFixed(2)}×`,
        String(check.rootCauses ?? '-'),
        String(check.reportLines ?? '-'),
        check.reportBytes === undefined ? '-' : fixed(check.reportBytes / MIB, 1),
      ];
    }),
    markdown,
  );
}
