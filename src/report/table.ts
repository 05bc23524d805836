// The report for people on a terminal: a summary first (one line per root cause and what the exit code means),
// then each root cause with the findings that back it, what it explains, what was ruled out and the fix; the
// findings that back no root cause only with `all`. Prose is wrapped to the terminal's width at spaces only, so a
// number or a name is never cut; fix YAML is never wrapped. Colour only when the caller says the terminal wants it.

import type { Diagnosis, SnapshotSummary } from '../diagnose/diagnose.ts';
import { entry } from './catalogue.ts';
import { changeLine, liveChanges } from './live-changes.ts';
import type { Finding, RootCause, Severity } from '../model/finding.ts';
import { applyCommand, fillMessage, formatAgo, formatEntity, formatEvidence, formatMs, formatProxyList, formatUtc } from './format.ts';
import { backingIndex, capturedAt, FLAVOR_NAMES, flavorLabel, notAssessedFindings } from './incident.ts';
import { docsUrl } from './links.ts';
import { type ExitPolicy, exitSummary, NOTHING_DIAGNOSED, nothingDiagnosed } from './outcome.ts';

/** Options for the table report. */
interface TableOptions {
  color: boolean;
  /** Columns to fit prose into (the terminal's); default DEFAULT_WIDTH. */
  width?: number;
  /** The moment the report is written: capture times read relative to it (`captured 3 minutes ago`). */
  now?: Date;
  /** The running version: docs links point at its pages. */
  version: string;
  /** What decides the exit code, for the summary's line about it. */
  policy: ExitPolicy;
  /** Also list the findings that back no root cause. */
  all?: boolean;
}

/** Width when the output is no terminal and COLUMNS is not set. */
const DEFAULT_WIDTH = 100;
/** Narrowest width prose is wrapped to; a narrower terminal gets lines of this width. */
const MIN_WIDTH = 40;

/** Findings the table lists at most (the most severe first); the JSON, Markdown and HTML reports list them all. */
export const MAX_FINDING_ROWS = 500;

const ANSI = { red: 31, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;

type Paint = (style: keyof typeof ANSI, text: string) => string;

function painter(enabled: boolean): Paint {
  return (style, text) => (enabled ? `\u001b[${ANSI[style]}m${text}\u001b[0m` : text);
}

/** Characters a terminal shows for `text` (colour codes take none). */
function visible(text: string): number {
  return text.replace(/\u001b\[\d+m/g, '').length;
}

/**
 * Wraps `text` at spaces into lines of at most `width` columns, the first starting with `first` and the others
 * with `rest`. A word longer than a line (a long name) gets a line of its own and is never cut.
 */
function wrap(text: string, width: number, first: string, rest: string = first): string {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  // Each word keeps the spaces after it, so columns aligned with two spaces stay aligned.
  for (const token of text.replace(/\n/g, ' ').trim().match(/\S+ */g) ?? []) {
    const word = token.trimEnd();
    const fits = visible(line) + visible(word) <= width;
    // A word that does not fit after a label (`Docs:`) starts the next line rather than overflow this one.
    if (!fits && (!empty || line.trim() !== '')) {
      lines.push(line.trimEnd());
      line = rest;
    }
    line += token;
    empty = false;
  }
  lines.push(line.trimEnd());
  return lines.join('\n');
}

/** A `- ` bullet at three spaces, its continuation lines at five. */
function bullet(text: string, width: number): string {
  return wrap(text, width, '   - ', '     ');
}

function snapshotLines(s: SnapshotSummary, now: Date | undefined, width: number): string[] {
  const head = [`proxy ${s.namespace ? `${s.namespace}/` : ''}${s.id}`, flavorLabel(s)];
  if (s.envoyVersion) head.push(`Envoy ${s.envoyVersion}`);
  const detail = [`${s.clusters.size} clusters, ${s.listeners.length} listeners, ${s.routes.length} routes`];
  if (s.statsLater && s.intervalSeconds !== undefined) detail.push(`stats: 2 samples ${formatMs(s.intervalSeconds * 1000)} apart`);
  else if (s.stats) detail.push('stats: 1 sample');
  else detail.push('no stats');
  const at = capturedAt(s);
  return [
    wrap(head.join(' · '), width, '', '  '),
    wrap(detail.join(' · '), width, '  '),
    ...(at && now ? [wrap(`captured ${formatAgo(at, now)} (${formatUtc(at)})`, width, '  ')] : []),
    // What could not be read, or was skipped, is said where the proxy is named: it bounds what the report can say.
    ...(s.warnings ?? []).map((w) => wrap(`note: ${w}`, width, '  ', '    ')),
  ];
}

function severityLabel(sev: Severity, paint: Paint): string {
  const label = sev.toUpperCase();
  return sev === 'error' ? paint('red', label) : sev === 'warning' ? paint('yellow', label) : paint('cyan', label);
}

/** What a block of the report needs besides its data. */
interface Layout {
  width: number;
  paint: Paint;
  version: string;
}

/** Items of a long list the table shows (the strongest first); the JSON report carries them all. */
export const MAX_LISTED = 5;

/** Fix objects of each flavor the table prints for one root cause; the JSON report carries them all. */
export const MAX_FIXES_PER_FLAVOR = 2;

/** `20 clusters, 19 listeners`: how many entities of each kind, in the order the kinds first come. */
function countByKind(entities: RootCause['entities']): string {
  const counts = new Map<string, number>();
  for (const e of entities) counts.set(e.kind, (counts.get(e.kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => `${n.toLocaleString('en-US')} ${kind}${n === 1 ? '' : 's'}`).join(', ');
}

/** The bullet that stands for the items a list leaves out. */
function moreLine(left: number, one: string, many: string, w: number): string[] {
  return left > 0 ? [bullet(`... and ${left.toLocaleString('en-US')} more ${left === 1 ? one : many} (-o json lists them all)`, w)] : [];
}

/** The most changes listed under a fix; -o json has them all. */
const MAX_CHANGES = 8;

/** What a fix changes against the live object, a line per changed field. */
function liveChangeLines(fix: RootCause['fixes'][number], w: number): string[] {
  const live = liveChanges(fix);
  if (!live) return [];
  const n = live.changes.length;
  return [
    wrap(`against the live ${live.against}: ${n.toLocaleString('en-US')} ${n === 1 ? 'change' : 'changes'}`, w, '     '),
    ...live.changes.slice(0, MAX_CHANGES).map((c) => wrap(changeLine(c), w, '       ', '         ')),
    ...moreLine(n - MAX_CHANGES, 'change', 'changes', w),
  ];
}

/** What the table prints of a root cause's fixes: the first of each flavor. */
function shownFixes(fixes: RootCause['fixes']): RootCause['fixes'] {
  const perFlavor = new Map<string, number>();
  return fixes.filter((f) => {
    const n = perFlavor.get(f.flavor) ?? 0;
    perFlavor.set(f.flavor, n + 1);
    return n < MAX_FIXES_PER_FLAVOR;
  });
}

function rootCauseBlock(r: RootCause, index: number, printedFixes: Map<string, number>, l: Layout): string {
  const { paint, width: w } = l;
  const out: string[] = [];
  const where = r.seenOn.length > 1 ? `seen on ${r.seenOn.length} proxies` : `proxy ${r.snapshot}`;
  out.push(
    wrap(
      `${severityLabel(r.severity, paint)}  ${paint('bold', r.id)}  confidence ${r.confidence} (${r.score.toFixed(2)}) · ${where}`,
      w,
      `${paint('bold', `${index}.`)} `,
      '   ',
    ),
  );
  if (r.seenOn.length > 1) out.push(wrap(`proxies: ${formatProxyList(r.seenOn)}`, w, '   '));
  out.push(wrap(entry(r.id).title, w, '   '));
  // A long entity list is counted by kind and its first (strongest) entities named.
  if (r.entities.length > MAX_LISTED) {
    const named = r.entities.slice(0, MAX_LISTED).map(formatEntity).join(', ');
    out.push(wrap(`on ${countByKind(r.entities)}: ${named} and ${(r.entities.length - MAX_LISTED).toLocaleString('en-US')} more`, w, '   '));
  } else out.push(wrap(`on ${r.entities.map(formatEntity).join(', ')}`, w, '   '));
  out.push(`   ${paint('bold', 'Evidence')}`);
  for (const f of r.evidence.slice(0, MAX_LISTED)) out.push(bullet(`${f.code} (${formatEntity(f.entity)}): ${fillMessage(f.code, f.evidence)}`, w));
  out.push(...moreLine(r.evidence.length - MAX_LISTED, 'finding', 'findings', w));
  if (r.explains.length > 0) {
    out.push(`   ${paint('bold', 'Explains')}`);
    for (const e of r.explains.slice(0, MAX_LISTED)) out.push(bullet(fillMessage(e.code, e.values), w));
    out.push(...moreLine(r.explains.length - MAX_LISTED, 'explanation', 'explanations', w));
  }
  const sections: Array<[string, RootCause['checks']]> = [
    ['Ruled out', r.checks.filter((c) => c.verdict === 'ruled-out')],
    ['Also possible', r.checks.filter((c) => c.verdict === 'possible')],
    ['Not assessed', r.checks.filter((c) => c.verdict === 'unknown')],
  ];
  for (const [title, checks] of sections) {
    if (checks.length === 0) continue;
    out.push(`   ${paint('bold', title)}`);
    // Checks of many entities often read alike (stream_idle_timeout 5m on every listener): each reading once.
    const lines = [
      ...new Set(checks.map((c) => `${c.hypothesis}: ${c.verdict === 'unknown' ? `missing ${(c.missing ?? []).join(', ')}` : formatEvidence(c.evidence)}`)),
    ];
    for (const line of lines.slice(0, MAX_LISTED)) out.push(bullet(line, w));
    out.push(...moreLine(lines.length - MAX_LISTED, 'check', 'checks', w));
  }
  const fixes = shownFixes(r.fixes);
  for (const fix of fixes) {
    const key = `${fix.flavor}|${fix.target}|${fix.text}`;
    const earlier = printedFixes.get(key);
    out.push(
      wrap(`${fix.target} · ${applyCommand(fix) ?? 'merge into the Envoy config'}`, w, `   ${paint('bold', `Fix (${FLAVOR_NAMES[fix.flavor]})`)}: `, '     '),
    );
    if (earlier !== undefined) {
      out.push(`     same object as in root cause ${earlier} above`);
      continue;
    }
    printedFixes.set(key, index);
    // YAML is printed whole, however wide: a wrapped line would no longer apply.
    for (const line of fix.text.trimEnd().split('\n')) out.push(`     ${paint('dim', '|')} ${line}`);
    out.push(...liveChangeLines(fix, w));
    for (const n of fix.notes) out.push(wrap(`note: ${fillMessage(n.code, n.values)}`, w, '     '));
  }
  if (fixes.length < r.fixes.length) {
    const left = new Map<string, number>();
    for (const fix of r.fixes) left.set(fix.flavor, (left.get(fix.flavor) ?? 0) + 1);
    for (const fix of fixes) left.set(fix.flavor, (left.get(fix.flavor) ?? 0) - 1);
    const parts = [...left].filter(([, n]) => n > 0).map(([flavor, n]) => `${n.toLocaleString('en-US')} ${FLAVOR_NAMES[flavor as keyof typeof FLAVOR_NAMES]}`);
    out.push(
      wrap(
        `... and ${(r.fixes.length - fixes.length).toLocaleString('en-US')} more ${r.fixes.length - fixes.length === 1 ? 'fix object' : 'fix objects'} (${parts.join(', ')}), one per object to change: -o json lists them all`,
        w,
        '   ',
      ),
    );
  }
  const docs = entry(r.id).docs;
  if (docs) out.push(wrap(docsUrl(docs, l.version), w, '   Docs: ', '   '));
  return out.join('\n');
}

/** The summary's line for a root cause: number, severity and id in aligned columns, then its title. */
function summaryLines(rootCauses: RootCause[], l: Layout): string[] {
  const idWidth = Math.max(...rootCauses.map((r) => r.id.length));
  const numWidth = `${rootCauses.length}.`.length;
  const column = numWidth + 1 + 'WARNING'.length + 2 + idWidth + 2;
  // A title starts in its column while at least 30 columns are left for it, else under the id.
  const indent = l.width - column >= 30 ? ' '.repeat(column) : '   ';
  return rootCauses.map((r, i) => {
    const head = `${`${i + 1}.`.padEnd(numWidth)} ${severityLabel(r.severity, l.paint)}${' '.repeat(2 + 'WARNING'.length - r.severity.length)}${r.id}`;
    // A root cause over many entities says how many, so the first screen tells one stall from twenty.
    const title = r.entities.length > MAX_LISTED ? `${entry(r.id).title} (${countByKind(r.entities)})` : entry(r.id).title;
    if (indent === '   ') return `${head}\n${wrap(title, l.width, indent)}`;
    return wrap(title, l.width, `${head}${' '.repeat(2 + idWidth - r.id.length)}`, indent);
  });
}

/**
 * The findings that back none of the root causes (the others are shown under theirs): those no root cause of their
 * proxy holds as evidence, looked up by code and entity, as a mesh's root causes rest on tens of thousands of findings.
 */
function backingNothing(d: Diagnosis): Finding[] {
  const backs = backingIndex(d.rootCauses);
  return d.findings.filter((f) => backs(f).length === 0);
}

function countBySeverity(findings: Finding[]): string {
  const parts: string[] = [];
  for (const sev of ['error', 'warning', 'info'] as const) {
    const n = findings.filter((f) => f.severity === sev).length;
    if (n > 0) parts.push(sev === 'info' ? `${n} info` : `${n} ${sev}${n === 1 ? '' : 's'}`);
  }
  return parts.join(', ');
}

/** One finding: severity, id and entity on the first line (wrapped at spaces), its numbers under them. */
function findingLines(f: Finding, l: Layout): string {
  const label = f.severity.toUpperCase();
  const indent = l.width >= 60 ? ' '.repeat('WARNING'.length + 2) : '   ';
  const head = wrap(
    `${f.code} · ${formatEntity(f.entity)}`,
    l.width,
    `${severityLabel(f.severity, l.paint)}${' '.repeat(2 + 'WARNING'.length - label.length)}`,
    indent,
  );
  return `${head}\n${wrap(fillMessage(f.code, f.evidence), l.width, indent)}`;
}

function notAssessedLine(d: Diagnosis, width: number): string[] {
  const missing = notAssessedFindings(d);
  if (missing.length === 0) return [];
  return [wrap(`Not assessed for lack of input: ${missing.map((f) => fillMessage(f.code, f.evidence)).join('; ')}.`, width, '')];
}

/** Renders the whole table report. */
export function renderTable(d: Diagnosis, options: TableOptions): string {
  const width = Math.max(MIN_WIDTH, options.width ?? DEFAULT_WIDTH);
  const l: Layout = { width, paint: painter(options.color), version: options.version };
  const { paint } = l;
  const out: string[] = [];
  const shown = d.snapshots.length > 6 ? d.snapshots.slice(0, 4) : d.snapshots;
  for (const s of shown) out.push(...snapshotLines(s, options.now, width));
  if (shown.length < d.snapshots.length) out.push(wrap(`... and ${d.snapshots.length - shown.length} more proxies (-o json lists them all)`, width, ''));
  if (d.notCollected.length > 0) {
    if (out.length > 0) out.push('');
    out.push(
      paint('bold', nothingDiagnosed(d) ? `NOT COLLECTED (${d.notCollected.length})` : `NOT COLLECTED (${d.notCollected.length}): diagnosed without them`),
    );
    for (const n of d.notCollected) out.push(bullet(`${n.namespace ? `${n.namespace}/` : ''}${n.id}: ${n.reason}`, width));
  }
  const exit = exitSummary(d, options.policy);
  const exitLine = wrap(`exit ${exit.code}: ${exit.meaning}`, width, '');
  if (out.length > 0) out.push('');
  if (nothingDiagnosed(d)) {
    out.push(paint('bold', 'NOTHING DIAGNOSED'), wrap(`${NOTHING_DIAGNOSED.charAt(0).toUpperCase()}${NOTHING_DIAGNOSED.slice(1)}.`, width, ''), exitLine);
    return `${out.join('\n')}\n`;
  }
  const rest = backingNothing(d);
  const restLine =
    rest.length === 0
      ? []
      : [
          wrap(
            `${rest.length} ${rest.length === 1 ? 'finding backs' : 'findings back'} no root cause (${countBySeverity(rest)})${options.all ? ': listed at the end' : ': --all lists them'}`,
            width,
            '',
          ),
        ];
  if (d.rootCauses.length === 0) {
    out.push(paint('bold', 'No root cause found.'), ...notAssessedLine(d, width), exitLine, ...restLine);
  } else {
    out.push(
      paint('bold', `SUMMARY: ${d.rootCauses.length === 1 ? '1 root cause' : `${d.rootCauses.length} root causes`}`),
      ...summaryLines(d.rootCauses, l),
      ...notAssessedLine(d, width),
      exitLine,
      ...restLine,
    );
    out.push('', paint('bold', `ROOT CAUSES (${d.rootCauses.length})`));
    const printed = new Map<string, number>();
    d.rootCauses.forEach((r, i) => {
      if (i > 0) out.push('');
      out.push(rootCauseBlock(r, i + 1, printed, l));
    });
  }
  if (options.all && rest.length > 0) {
    out.push('', paint('bold', `FINDINGS BEHIND NO ROOT CAUSE (${rest.length})`));
    for (const f of rest.slice(0, MAX_FINDING_ROWS)) out.push(findingLines(f, l));
    if (rest.length > MAX_FINDING_ROWS) out.push(wrap(`... and ${rest.length - MAX_FINDING_ROWS} more findings (-o json lists them all)`, width, ''));
  }
  return `${out.join('\n')}\n`;
}
