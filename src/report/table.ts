// The report for people: root causes first (evidence, what they explain, what was ruled out, the fix), then
// every finding in a table. Fits 100 columns; colour only when the caller says the terminal wants it.

import Table from 'cli-table3';
import { entry } from '../model/catalogue.ts';
import type { Diagnosis, SnapshotSummary } from '../diagnose/diagnose.ts';
import type { Finding, RootCause, Severity } from '../model/finding.ts';
import { applyCommand, fillMessage, formatAgo, formatEntity, formatEvidence, formatMs, formatProxyList, formatUtc } from './format.ts';
import { capturedAt } from './incident.ts';

/** Options for the table report. */
export interface TableOptions {
  color: boolean;
  width?: number;
  /** The moment the report is written: capture times read relative to it (`captured 3 minutes ago`). */
  now?: Date;
}

const ANSI = { red: 31, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;

function painter(enabled: boolean) {
  return (style: keyof typeof ANSI, text: string): string => (enabled ? `\u001b[${ANSI[style]}m${text}\u001b[0m` : text);
}

const FLAVOR_NAMES = { 'envoy-gateway': 'Envoy Gateway', istio: 'Istio', envoy: 'plain Envoy' } as const;

function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line !== '' && indent.length + line.length + 1 + w.length > width) {
      lines.push(indent + line);
      line = w;
    } else line = line === '' ? w : `${line} ${w}`;
  }
  if (line !== '') lines.push(indent + line);
  return lines.join('\n');
}

/** A `- ` bullet at three spaces, its continuation lines at five. */
function bullet(text: string, width: number): string {
  return wrap(`- ${text}`, width, '     ').replace(/^ {5}/, '   ');
}

function snapshotLines(s: SnapshotSummary, now: Date | undefined): string[] {
  const head = [`proxy ${s.namespace ? `${s.namespace}/` : ''}${s.id}`, FLAVOR_NAMES[s.flavor]];
  if (s.envoyVersion) head.push(`Envoy ${s.envoyVersion}`);
  const detail = [`${s.clusters.size} clusters, ${s.listeners.length} listeners, ${s.routes.length} routes`];
  if (s.statsLater && s.intervalSeconds !== undefined) detail.push(`stats: 2 samples ${formatMs(s.intervalSeconds * 1000)} apart`);
  else if (s.stats) detail.push('stats: 1 sample');
  else detail.push('no stats');
  const at = capturedAt(s);
  return [head.join(' · '), `  ${detail.join(' · ')}`, ...(at && now ? [`  captured ${formatAgo(at, now)} (${formatUtc(at)})`] : [])];
}

function severityLabel(sev: Severity, paint: ReturnType<typeof painter>): string {
  const label = sev.toUpperCase();
  return sev === 'error' ? paint('red', label) : sev === 'warning' ? paint('yellow', label) : paint('cyan', label);
}

function rootCauseBlock(r: RootCause, index: number, printedFixes: Map<string, number>, opts: Required<Omit<TableOptions, 'now'>>): string {
  const paint = painter(opts.color);
  const w = opts.width;
  const out: string[] = [];
  const where = r.seenOn.length > 1 ? `seen on ${r.seenOn.length} proxies` : `proxy ${r.snapshot}`;
  out.push(`${paint('bold', `${index}.`)} ${severityLabel(r.severity, paint)}  ${paint('bold', r.id)}  confidence ${r.confidence} (${r.score.toFixed(2)}) · ${where}`);
  if (r.seenOn.length > 1) out.push(wrap(`proxies: ${formatProxyList(r.seenOn)}`, w, '   '));
  out.push(wrap(entry(r.id).title, w, '   '));
  out.push(wrap(`on ${r.entities.map(formatEntity).join(', ')}`, w, '   '));
  out.push(`   ${paint('bold', 'Evidence')}`);
  for (const f of r.evidence) out.push(bullet(`${f.code} (${formatEntity(f.entity)}): ${fillMessage(f.code, f.evidence)}`, w));
  if (r.explains.length > 0) {
    out.push(`   ${paint('bold', 'Explains')}`);
    for (const e of r.explains) out.push(bullet(`${fillMessage(e.code, e.values)}`, w));
  }
  const ruledOut = r.checks.filter((c) => c.verdict === 'ruled-out');
  const possible = r.checks.filter((c) => c.verdict === 'possible');
  const unknown = r.checks.filter((c) => c.verdict === 'unknown');
  if (ruledOut.length > 0) {
    out.push(`   ${paint('bold', 'Ruled out')}`);
    for (const c of ruledOut) out.push(bullet(`${c.hypothesis}: ${formatEvidence(c.evidence)}`, w));
  }
  if (possible.length > 0) {
    out.push(`   ${paint('bold', 'Also possible')}`);
    for (const c of possible) out.push(bullet(`${c.hypothesis}: ${formatEvidence(c.evidence)}`, w));
  }
  if (unknown.length > 0) {
    out.push(`   ${paint('bold', 'Not assessed')}`);
    for (const c of unknown) out.push(bullet(`${c.hypothesis}: missing ${(c.missing ?? []).join(', ')}`, w));
  }
  for (const fix of r.fixes) {
    const key = `${fix.flavor}|${fix.target}|${fix.text}`;
    const earlier = printedFixes.get(key);
    out.push(`   ${paint('bold', `Fix (${FLAVOR_NAMES[fix.flavor]})`)}: ${fix.target}${` · ${applyCommand(fix) ?? 'merge into the Envoy config'}`}`);
    if (earlier !== undefined) {
      out.push(`     same object as in root cause ${earlier} above`);
      continue;
    }
    printedFixes.set(key, index);
    for (const line of fix.text.trimEnd().split('\n')) out.push(`     ${paint('dim', '|')} ${line}`);
    for (const n of fix.notes) out.push(wrap(`note: ${fillMessage(n.code, n.values)}`, w, '     '));
  }
  const docs = entry(r.id).docs;
  if (docs) out.push(`   Docs: ${docs}`);
  return out.join('\n');
}

/** Rows per cli-table3 table: its layout grows with the square of the rows, so long tables are drawn in blocks. */
const ROWS_PER_BLOCK = 100;

/** Findings the table shows at most (the most severe first); the JSON, Markdown and HTML reports list them all. */
export const MAX_FINDING_ROWS = 500;

function findingsTable(findings: Finding[], opts: Required<Omit<TableOptions, 'now'>>): string {
  const paint = painter(opts.color);
  const widths = [10, 26, 28, Math.max(20, opts.width - 10 - 26 - 28 - 5)];
  const style = opts.color ? { head: ['bold'], border: ['grey'] } : { head: [], border: [] };
  const blocks: string[] = [];
  // The columns are of fixed width, so blocks stitched together draw the same table as one would: every block
  // after the first starts with a row separator instead of a top border, and every block but the last loses its
  // bottom border.
  for (let from = 0; from === 0 || from < findings.length; from += ROWS_PER_BLOCK) {
    const first = from === 0;
    const last = from + ROWS_PER_BLOCK >= findings.length;
    const table = new Table({
      ...(first ? { head: ['severity', 'finding', 'entity', 'numbers'] } : { chars: { top: '─', 'top-mid': '┼', 'top-left': '├', 'top-right': '┤' } }),
      colWidths: widths,
      wordWrap: true,
      wrapOnWordBoundary: false,
      style,
    });
    for (const f of findings.slice(from, from + ROWS_PER_BLOCK)) {
      table.push([severityLabel(f.severity, paint), f.code, formatEntity(f.entity), fillMessage(f.code, f.evidence)]);
    }
    const text = table.toString();
    blocks.push(last ? text : text.slice(0, text.lastIndexOf('\n')));
  }
  return blocks.join('\n');
}

/** Renders the whole table report. */
export function renderTable(d: Diagnosis, options: TableOptions): string {
  const { now, ...rest } = options;
  const opts: Required<Omit<TableOptions, 'now'>> = { width: 100, ...rest };
  const paint = painter(opts.color);
  const out: string[] = [];
  const shown = d.snapshots.length > 6 ? d.snapshots.slice(0, 4) : d.snapshots;
  for (const s of shown) out.push(...snapshotLines(s, now));
  if (shown.length < d.snapshots.length) out.push(`... and ${d.snapshots.length - shown.length} more proxies (-o json lists them all)`);
  if (d.notCollected.length > 0) {
    out.push('');
    out.push(paint('bold', `NOT COLLECTED (${d.notCollected.length}): diagnosed without them`));
    for (const n of d.notCollected) out.push(bullet(`${n.namespace ? `${n.namespace}/` : ''}${n.id}: ${n.reason}`, opts.width));
  }
  out.push('');
  if (d.rootCauses.length === 0) {
    const missing = d.findings.filter((f) => f.code === 'input-missing' && f.evidence.input !== 'stats-later');
    out.push(paint('bold', 'No root cause found.'));
    if (missing.length > 0) {
      out.push(wrap(`Not assessed for lack of input: ${missing.map((f) => fillMessage(f.code, f.evidence)).join('; ')}.`, opts.width, ''));
    }
  } else {
    out.push(paint('bold', `ROOT CAUSES (${d.rootCauses.length})`));
    const printed = new Map<string, number>();
    d.rootCauses.forEach((r, i) => {
      out.push(rootCauseBlock(r, i + 1, printed, opts));
      out.push('');
    });
  }
  if (d.findings.length > 0) {
    out.push('');
    out.push(paint('bold', `FINDINGS (${d.findings.length})`));
    out.push(findingsTable(d.findings.slice(0, MAX_FINDING_ROWS), opts));
    if (d.findings.length > MAX_FINDING_ROWS) out.push(`... and ${d.findings.length - MAX_FINDING_ROWS} more findings (-o json lists them all)`);
  }
  return `${out.join('\n')}\n`;
}
