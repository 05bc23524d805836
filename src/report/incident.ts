// What an incident write-up says, independent of markup: the headline, the proxies and when they were captured,
// the symptoms, and per root cause its evidence as rows of numbers, what was ruled out and why, the fix, and how
// to verify it. The markdown and HTML reports render this; they never compute anything of their own.

import { type Diagnosis, envoyGatewayOf, type SnapshotSummary } from '../diagnose/diagnose.ts';
import { describeVersion } from '../model/envoy-gateway-version.ts';
import { entry } from './catalogue.ts';
import type { EntityRef, EvidenceValue, Finding, RenderedFix, RootCause, Severity } from '../model/finding.ts';
import {
  asSentence,
  evidenceLabel,
  fillMessage,
  formatAgo,
  formatBytes,
  formatEntity,
  formatEvidence,
  formatMs,
  formatProxyList,
  formatUtc,
  formatValue,
  requiredKeys,
} from './format.ts';
import { docsUrl } from './links.ts';
import { NOTHING_DIAGNOSED, nothingDiagnosed } from './outcome.ts';
import { type VerifyStep, verifySteps } from './verify.ts';

/** When and by what a report is written. */
export interface ReportContext {
  /** The moment the report is written; relative times are measured from it. */
  now: Date;
  tool: { name: string; version: string };
}

/** How each flavor is named in reports. */
export const FLAVOR_NAMES = { 'envoy-gateway': 'Envoy Gateway', istio: 'Istio', envoy: 'plain Envoy' } as const;

/** The flavor, and for Envoy Gateway the release its controller runs and where that was read: `Envoy Gateway 1.8.1 (controller …)`. */
export function flavorLabel(s: SnapshotSummary): string {
  const v = envoyGatewayOf(s);
  if (!v) return FLAVOR_NAMES[s.flavor];
  return v.source === 'unknown' ? `${FLAVOR_NAMES[s.flavor]} (release unknown)` : `${FLAVOR_NAMES[s.flavor]} ${describeVersion(v)} (${v.source})`;
}

/** When a snapshot's stats were captured: the later sample's time, else the only one's; undefined when unknown. */
export function capturedAt(s: Pick<SnapshotSummary, 'stats' | 'statsLater'>): Date | undefined {
  return s.statsLater?.takenAt ?? s.stats?.takenAt;
}

/** One row of a proxy table. */
interface ProxyRow {
  proxy: string;
  flavor: string;
  envoy: string;
  /** `2 days ago (2026-11-20 21:14:35 UTC)`, or `unknown`. */
  captured: string;
  stats: string;
}

/** One number of a finding's evidence: its key, the name people know, and the value as read. */
interface EvidenceRow {
  key: string;
  label: string;
  value: string;
}

/** A finding as a titled table of its numbers. */
interface EvidenceBlock {
  code: string;
  title: string;
  entity: EntityRef;
  sentence: string;
  rows: EvidenceRow[];
}

/** A hypothesis row: what was considered, where, and the numbers that settled it (or what was missing). */
export interface CheckRow {
  hypothesis: string;
  entity: EntityRef;
  why: string;
}

/** A fix, and whether an earlier root cause already printed the same object. */
interface FixBlock {
  fix: RenderedFix;
  flavorName: string;
  /** 1-based index of the root cause that printed the same object first, when one did. */
  sameAs?: number;
  notes: string[];
}

/** Everything a write-up says about one root cause. */
export interface RootCauseSection {
  index: number;
  rootCause: RootCause;
  title: string;
  sentence: string;
  where: string;
  evidence: EvidenceBlock[];
  explains: string[];
  ruledOut: CheckRow[];
  alsoPossible: CheckRow[];
  unknown: CheckRow[];
  fixes: FixBlock[];
  verify: VerifyStep[];
  /** The root cause's docs page: its path in the repository and its absolute URL for this version. */
  docs?: { page: string; url: string };
}

/** The whole incident write-up. */
interface Incident {
  title: string;
  byline: string;
  summary: string;
  proxies: ProxyRow[];
  notCollected: Array<{ proxy: string; reason: string }>;
  symptoms: string[];
  rootCauses: RootCauseSection[];
  /** Every finding, with the numbers (1-based, in report order) of the root causes it backs: none when it backs none. */
  findings: Array<{ severity: Severity; code: string; entity: EntityRef; numbers: string; backs: number[] }>;
  /** No proxy was read: the proxies listed as not collected are all there is. */
  nothingDiagnosed: boolean;
  /** Inputs that were missing (or not understood), so the reader knows what was not assessed. */
  notAssessed: string[];
}

/** Evidence values as rows, in the order the analyzer gave them. */
function evidenceRows(values: Record<string, EvidenceValue>): EvidenceRow[] {
  return Object.entries(values).map(([key, v]) => ({ key, label: evidenceLabel(key), value: formatValue(key, v) }));
}

/**
 * The root cause's catalogue sentence filled from its explanations and evidence; its title when a number the
 * sentence needs was not measured (a sentence reading `unknown` says less than the title).
 */
function rootCauseSentence(r: RootCause): string {
  const values: Record<string, EvidenceValue> = {};
  for (const source of [...r.explains.map((e) => e.values), ...r.evidence.map((f) => f.evidence)]) {
    for (const [k, v] of Object.entries(source)) if (!(k in values) && v !== null) values[k] = v;
  }
  const needed = requiredKeys(entry(r.id).message ?? entry(r.id).title);
  return needed.every((k) => k in values) ? fillMessage(r.id, values) : entry(r.id).title;
}

function proxyName(s: { id: string; namespace?: string }): string {
  return `${s.namespace ? `${s.namespace}/` : ''}${s.id}`;
}

/** `2 days ago (2026-11-20 21:14:35 UTC)`, or `unknown` when the capture time was not recorded. */
function capturedText(s: SnapshotSummary, now: Date): string {
  const at = capturedAt(s);
  return at ? `${formatAgo(at, now)} (${formatUtc(at)})` : 'unknown';
}

function statsText(s: SnapshotSummary): string {
  if (s.statsLater && s.intervalSeconds !== undefined) return `2 samples ${formatMs(s.intervalSeconds * 1000)} apart`;
  return s.stats ? '1 sample' : 'none';
}

function checkRows(r: RootCause, verdict: 'ruled-out' | 'possible' | 'unknown'): CheckRow[] {
  return r.checks
    .filter((c) => c.verdict === verdict)
    .map((c) => ({
      hypothesis: c.hypothesis,
      entity: c.entity,
      why: verdict === 'unknown' ? `missing ${(c.missing ?? []).join(', ')}` : formatEvidence(c.evidence),
    }));
}

function section(r: RootCause, index: number, d: Diagnosis, printed: Map<string, number>, version: string): RootCauseSection {
  const snapshot = d.snapshots.find((s) => s.id === r.snapshot);
  const fixes = r.fixes.map((fix): FixBlock => {
    const key = `${fix.flavor}|${fix.target}|${fix.text}`;
    const sameAs = printed.get(key);
    if (sameAs === undefined) printed.set(key, index);
    return {
      fix,
      flavorName: FLAVOR_NAMES[fix.flavor],
      ...(sameAs !== undefined ? { sameAs } : {}),
      notes: fix.notes.map((n) => fillMessage(n.code, n.values)),
    };
  });
  const docs = entry(r.id).docs;
  return {
    index,
    rootCause: r,
    title: entry(r.id).title,
    sentence: rootCauseSentence(r),
    where: r.seenOn.length > 1 ? `seen on ${r.seenOn.length} proxies: ${formatProxyList(r.seenOn)}` : `proxy ${r.snapshot}`,
    evidence: r.evidence.map((f) => ({
      code: f.code,
      title: entry(f.code).title,
      entity: f.entity,
      sentence: fillMessage(f.code, f.evidence),
      rows: evidenceRows(f.evidence),
    })),
    explains: r.explains.map((e) => fillMessage(e.code, e.values)),
    ruledOut: checkRows(r, 'ruled-out'),
    alsoPossible: checkRows(r, 'possible'),
    unknown: checkRows(r, 'unknown'),
    fixes,
    verify: verifySteps(r, snapshot),
    ...(docs ? { docs: { page: docs, url: docsUrl(docs, version) } } : {}),
  };
}

/**
 * A finding's identity for matching it with root causes' evidence, which holds copies of findings: its code and entity,
 * then its evidence. Code and entity are not enough: an analyzer may emit several findings of one code on one entity
 * (two bands of upgraded sessions on a route), and one of them can back a root cause while the other backs none.
 */
function entityKey(f: Finding): string {
  return `${f.code}|${f.entity.kind}|${f.entity.name}`;
}

/**
 * Which root causes each finding backs, indexed once: the numbers (1-based, in report order) of the root causes that
 * hold the same finding of the same proxy as evidence. One pass over the evidence, by code and entity, so a mesh's
 * thousands of findings are matched in linear time; the evidence is compared (as JSON, each finding's written once)
 * only between findings of one code and entity that are not the same object.
 */
export function backingIndex(rootCauses: RootCause[]): (f: Finding) => number[] {
  const byEntity = new Map<string, Array<{ finding: Finding; index: number; rootCause: RootCause }>>();
  rootCauses.forEach((r, i) => {
    for (const finding of r.evidence) {
      const key = entityKey(finding);
      const list = byEntity.get(key);
      if (list) list.push({ finding, index: i + 1, rootCause: r });
      else byEntity.set(key, [{ finding, index: i + 1, rootCause: r }]);
    }
  });
  const written = new WeakMap<Finding, string>();
  const evidenceText = (f: Finding): string => {
    let text = written.get(f);
    if (text === undefined) {
      text = JSON.stringify(f.evidence);
      written.set(f, text);
    }
    return text;
  };
  return (f) => {
    const out: number[] = [];
    for (const { finding, index, rootCause: r } of byEntity.get(entityKey(f)) ?? []) {
      if (out[out.length - 1] === index || !(r.snapshot === f.snapshot || r.seenOn.includes(f.snapshot))) continue;
      if (finding === f || evidenceText(finding) === evidenceText(f)) out.push(index);
    }
    return out;
  };
}

/** The `backs` cell of a findings table: `root cause 1`, `root causes 1, 3`, or `no root cause`. */
export function backsText(backs: number[]): string {
  if (backs.length === 0) return 'no root cause';
  return `${backs.length === 1 ? 'root cause' : 'root causes'} ${backs.join(', ')}`;
}

/** The findings that say an input was missing or not understood: what they feed was not assessed. */
export function notAssessedFindings(d: Pick<Diagnosis, 'findings'>): Finding[] {
  // Stats that were read but not understood leave the same gap as stats never given.
  return d.findings.filter((f) => (f.code === 'input-missing' && f.evidence.input !== 'stats-later') || f.code === 'stats-not-recognised');
}

/** Builds the write-up of a diagnosis. */
export function incident(d: Diagnosis, ctx: ReportContext): Incident {
  const printed = new Map<string, number>();
  const sections = d.rootCauses.map((r, i) => section(r, i + 1, d, printed, ctx.tool.version));
  const first = d.rootCauses[0];
  const proxies = d.snapshots.length === 1 ? '1 proxy' : `${d.snapshots.length} proxies`;
  const times = d.snapshots.map(capturedAt).filter((t): t is Date => t !== undefined);
  const latest = times.length > 0 ? new Date(Math.max(...times.map((t) => t.getTime()))) : undefined;
  const byline = [
    `${ctx.tool.name} ${ctx.tool.version}`,
    proxies,
    ...(latest ? [`captured ${formatAgo(latest, ctx.now)} (${formatUtc(latest)})`] : []),
    `written ${formatUtc(ctx.now)}`,
  ].join(' · ');
  let summary: string;
  if (nothingDiagnosed(d)) summary = asSentence(NOTHING_DIAGNOSED);
  else if (!first) summary = `No root cause found on ${proxies}; ${d.findings.length === 1 ? '1 finding' : `${d.findings.length} findings`}.`;
  else {
    const count = d.rootCauses.length === 1 ? '1 root cause' : `${d.rootCauses.length} root causes`;
    summary = `${count} on ${proxies}. The most severe, ${first.id} (${first.severity}, confidence ${first.confidence}): ${rootCauseSentence(first)}.`;
  }
  const symptoms = [...new Set(sections.flatMap((s) => s.explains))];
  if (symptoms.length === 0) {
    for (const f of d.findings.filter((x) => x.severity !== 'info' && x.code !== 'input-missing'))
      symptoms.push(`${formatEntity(f.entity)}: ${fillMessage(f.code, f.evidence)}`);
  }
  const backs = backingIndex(d.rootCauses);
  return {
    title: first ? `Incident: ${entry(first.id).title}` : nothingDiagnosed(d) ? 'Envoy diagnosis: nothing diagnosed' : 'Envoy diagnosis: no root cause found',
    byline,
    summary,
    proxies: d.snapshots.map((s) => ({
      proxy: proxyName(s),
      flavor: flavorLabel(s),
      envoy: s.envoyVersion ?? 'unknown',
      captured: capturedText(s, ctx.now),
      stats: statsText(s),
    })),
    notCollected: d.notCollected.map((n) => ({ proxy: proxyName(n), reason: n.reason })),
    nothingDiagnosed: nothingDiagnosed(d),
    symptoms,
    rootCauses: sections,
    findings: d.findings.map((f: Finding) => ({
      severity: f.severity,
      code: f.code,
      entity: f.entity,
      numbers: fillMessage(f.code, f.evidence),
      backs: backs(f),
    })),
    notAssessed: notAssessedFindings(d).map((f) => fillMessage(f.code, f.evidence)),
  };
}

const EXPECTATIONS = {
  'stops-growing': 'stops growing',
  matches: 'equals',
  zero: 'reads 0',
  falls: 'falls well below one buffer limit per connection',
  'keeps-growing': 'keeps growing as upgrades succeed',
  present: 'is set',
  absent: 'is gone',
} as const;

/** What a verify step should read after the fix, in words: `stops growing`, `equals cluster.x.resumed`. */
export function expectationText(step: VerifyStep): string {
  return step.expect === 'matches' && step.other ? `equals ${step.other}` : EXPECTATIONS[step.expect];
}

function statValue(name: string, v: number): string {
  return /bytes_buffered$/.test(name) ? formatBytes(v) : v.toLocaleString('en-US');
}

/** What the capture read for a verify step: `1,242`, `1,242 vs 1,221`, or empty for settings and unread stats. */
export function verifyNowText(step: VerifyStep): string {
  if (step.now === undefined) return step.kind === 'setting' ? 'see the fix' : 'not read';
  const now = statValue(step.subject, step.now);
  return step.otherNow !== undefined ? `${now} vs ${statValue(step.subject, step.otherNow)}` : now;
}

/** The change a verify step's stat saw between the two samples: `+9 in 30s`; empty without two samples. */
export function verifyWindowText(step: VerifyStep): string {
  if (!step.window) return '';
  const c = step.window.change;
  return `${c > 0 ? '+' : ''}${statValue(step.subject, c)} in ${formatMs(step.window.seconds * 1000)}`;
}
