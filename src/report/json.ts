// The machine-readable report. Its shape is versioned (schemaVersion) and described by docs/json-schema.json;
// fields are only ever added within a major schema version.

import { entry } from './catalogue.ts';
import { type Diagnosis, envoyGatewayOf, type SnapshotSummary } from '../diagnose/diagnose.ts';
import { fixReadOnce } from '../fixes/lazy-fix.ts';
import type { Finding, HypothesisCheck, RootCause } from '../model/finding.ts';
import { exitCodeFor, type ExitPolicy } from './outcome.ts';

/** The JSON report's schema version. */
const JSON_SCHEMA_VERSION = 1;

/** An Envoy Gateway proxy's controller release as detected: `version`, else the `atLeast` bound, and its `source`. */
function envoyGatewayJson(s: SnapshotSummary): { version: string | null; atLeast: string | null; source: string } | null {
  const v = envoyGatewayOf(s);
  return v ? { version: v.version ?? null, atLeast: v.atLeast ?? null, source: v.source } : null;
}

/**
 * A list of the report written as `items.map(map)`: the pieces map each item as they write it and let it go, so a
 * mesh's report never holds its 70,000 findings or fix objects rendered at once; `JSON.stringify` maps them all.
 */
class MappedList<T> {
  readonly items: readonly T[];
  readonly map: (item: T) => unknown;
  constructor(items: readonly T[], map: (item: T) => unknown) {
    this.items = items;
    this.map = map;
  }
  toJSON(): unknown[] {
    return this.items.map((item) => this.map(item));
  }
}

/** A root cause's checks of one verdict. */
function withVerdict(r: RootCause, verdict: HypothesisCheck['verdict']): HypothesisCheck[] {
  return r.checks.filter((c) => c.verdict === verdict);
}

/** A check ruled out or still possible, with the numbers that decided it. */
function checkWithEvidence(c: HypothesisCheck) {
  return { hypothesis: c.hypothesis, entity: c.entity, evidence: c.evidence };
}

function findingJson(f: Finding) {
  return {
    code: f.code,
    title: entry(f.code).title,
    severity: f.severity,
    snapshot: f.snapshot,
    entity: f.entity,
    evidence: f.evidence,
    docs: entry(f.code).docs ?? null,
  };
}

/** Builds the JSON report object. */
export function jsonReport(d: Diagnosis, tool: { name: string; version: string }, policy: ExitPolicy): unknown {
  return {
    schemaVersion: JSON_SCHEMA_VERSION,
    tool,
    snapshots: d.snapshots.map((s) => ({
      id: s.id,
      namespace: s.namespace ?? null,
      owner: s.owner ?? null,
      flavor: s.flavor,
      envoyVersion: s.envoyVersion ?? null,
      envoyGateway: envoyGatewayJson(s),
      inputs: { configDump: s.inputs.configDump ?? null, stats: s.inputs.stats ?? null, statsLater: s.inputs.statsLater ?? null },
      intervalSeconds: s.intervalSeconds ?? null,
      counts: { clusters: s.clusters.size, listeners: s.listeners.length, routes: s.routes.length, stats: s.statsLater?.count ?? s.stats?.count ?? 0 },
    })),
    notCollected: d.notCollected.map((n) => ({ id: n.id, namespace: n.namespace ?? null, reason: n.reason })),
    findings: new MappedList(d.findings, findingJson),
    rootCauses: d.rootCauses.map((r) => ({
      id: r.id,
      title: entry(r.id).title,
      severity: r.severity,
      confidence: r.confidence,
      score: r.score,
      snapshot: r.snapshot,
      seenOn: r.seenOn,
      entities: r.entities,
      evidence: new MappedList(r.evidence, findingJson),
      explains: r.explains,
      ruledOut: new MappedList(withVerdict(r, 'ruled-out'), checkWithEvidence),
      alsoPossible: new MappedList(withVerdict(r, 'possible'), checkWithEvidence),
      unknown: new MappedList(withVerdict(r, 'unknown'), (c) => ({ hypothesis: c.hypothesis, entity: c.entity, missing: c.missing ?? [] })),
      // A fix not read yet is rendered as it is written and not kept.
      fixes: new MappedList(r.fixes, fixReadOnce),
      docs: entry(r.id).docs ?? null,
    })),
    summary: {
      rootCauses: d.rootCauses.length,
      findings: { error: count(d.findings, 'error'), warning: count(d.findings, 'warning'), info: count(d.findings, 'info') },
      failOn: policy.failOn,
      exitCode: exitCodeFor(d, policy),
    },
  };
}

function count(findings: Finding[], severity: Finding['severity']): number {
  return findings.filter((f) => f.severity === severity).length;
}

/** Renders the JSON report as text. */
export function renderJson(d: Diagnosis, tool: { name: string; version: string }, policy: ExitPolicy): string {
  let text = '';
  writeJsonReport(d, tool, policy, (piece) => {
    text += piece;
  });
  return text;
}

/**
 * Writes the JSON report's text in pieces: the same bytes as `JSON.stringify(report, null, 2)` and a newline, down to
 * each finding, each root cause's fix objects, findings and entities, each stringified on its own. A mesh's report is
 * hundreds of MB of text, most of it in the fixes of a few grouped root causes: as one string it doubles the
 * command's memory, and it can outgrow the longest string V8 holds.
 */
export function writeJsonReport(d: Diagnosis, tool: { name: string; version: string }, policy: ExitPolicy, write: (piece: string) => void): void {
  // Levels: the report, its arrays, their elements (a root cause), their arrays (its fixes); below, whole values.
  writeValue(jsonReport(d, tool, policy), 0, 4, write);
  write('\n');
}

/** `JSON.stringify(value, null, 2)` at nesting `depth`, written in pieces down to `levels` levels of objects and arrays. */
function writeValue(value: unknown, depth: number, levels: number, write: (piece: string) => void): void {
  if (value instanceof MappedList && levels > 0) writeList(value.items, value.map, depth, levels, write);
  else if (levels === 0 || value === null || typeof value !== 'object' || typeof (value as { toJSON?: unknown }).toJSON === 'function')
    write(stringifiedAt(value, depth));
  else if (Array.isArray(value)) writeList(value, (item) => item, depth, levels, write);
  else writeObject(value, depth, levels, write);
}

/** An object's pieces: its members in order, those JSON leaves out (undefined, functions, symbols) left out. */
function writeObject(value: object, depth: number, levels: number, write: (piece: string) => void): void {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol');
  if (entries.length === 0) {
    write('{}');
    return;
  }
  const pad = '  '.repeat(depth);
  write('{');
  for (const [i, [key, v]] of entries.entries()) {
    write(`${i === 0 ? '' : ','}\n${pad}  ${JSON.stringify(key)}: `);
    writeValue(v, depth + 1, levels - 1, write);
  }
  write(`\n${pad}}`);
}

/** An array's pieces, each item mapped as it is written (`undefined`, functions and symbols as `null`, as JSON does). */
function writeList<T>(items: readonly T[], map: (item: T) => unknown, depth: number, levels: number, write: (piece: string) => void): void {
  if (items.length === 0) {
    write('[]');
    return;
  }
  const pad = '  '.repeat(depth);
  write('[');
  for (const [i, raw] of items.entries()) {
    write(i === 0 ? `\n${pad}  ` : `,\n${pad}  `);
    const item = map(raw);
    writeValue(item === undefined || typeof item === 'function' || typeof item === 'symbol' ? null : item, depth + 1, levels - 1, write);
  }
  write(`\n${pad}]`);
}

/**
 * `JSON.stringify(value, null, 2)` with its lines after the first moved in by `depth` levels, as it reads inside the
 * whole report: the value is stringified inside `depth` arrays and cut out of them, which costs no pass over its text
 * (the arrays' own lines are `[`, then each level's indentation, and the closing ones mirror them).
 */
function stringifiedAt(value: unknown, depth: number): string {
  if (depth === 0) return JSON.stringify(value, null, 2) ?? 'null';
  let wrapped: unknown = value;
  for (let i = 0; i < depth; i++) wrapped = [wrapped];
  const text = JSON.stringify(wrapped, null, 2);
  // Opening: "[\n" and the next level's indentation, per level; closing: "\n", the level's indentation and "]".
  const open = depth * 2 + depth * (depth + 1);
  const close = depth * 2 + depth * (depth - 1);
  return text.slice(open, text.length - close);
}
