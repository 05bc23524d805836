// The shape every analyzer file exports: `meta` (what it is, the stats it reads, the findings it gives, with their
// titles and message templates) and a pure `analyze`. The catalogue of findings, the live /stats filter, the stats a
// parsed sample keeps and the coverage checks are derived from these declarations (src/analyzers/index.ts).

import type { FindingType } from '../model/catalogue-entry.ts';
import type { StatsRead } from '../model/envoy-stats.ts';
import type { EntityRef, EvidenceValue, Finding, Severity } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';

/** What an analyzer reads from a snapshot. */
type AnalyzerInput = 'config' | 'stats' | 'stats-later' | 'access-log' | 'kubernetes';

/** A family of stats an analyzer needs on WebSocket paths, checked by stats-coverage, and the root causes it decides. */
interface StatFamily {
  family: string;
  rootCauses: readonly string[];
  /** Stats under `cluster.<stat name>.` and `http.<stat_prefix>.` the family is made of (also in `meta.stats`). */
  cluster: NonNullable<StatsRead['cluster']>;
  http: NonNullable<StatsRead['http']>;
}

/** Describes an analyzer. */
interface AnalyzerMeta {
  /** Stable id, also the file name. */
  id: string;
  title: string;
  reads: readonly AnalyzerInput[];
  /** Every Envoy stat it reads, per entity family (names from src/model/envoy-stats.ts). */
  stats: StatsRead;
  /** Stat families whose absence leaves its root causes unknown (stats-coverage reports them). */
  families?: readonly StatFamily[];
  /** The findings it can give: catalogue entries with their evidence types. */
  findings: readonly FindingType<object>[];
  /** Docs page, relative to the repository root. */
  docs: string;
}

/** What the runner gives every analyzer besides the snapshot: facts derived from all analyzers' declarations. */
export interface AnalyzerContext {
  /** Every analyzer's stat families. */
  families: readonly (StatFamily & { analyzer: string })[];
}

/** An analyzer module. */
export interface Analyzer {
  meta: AnalyzerMeta;
  /** Pure: reads the snapshot, returns findings; never does I/O. */
  analyze(snapshot: Snapshot, context: AnalyzerContext): Finding[];
}

/** An analyzer as the registry hands it out: its findings' ids listed, the context given. */
export interface RegisteredAnalyzer {
  meta: AnalyzerMeta & { emits: string[] };
  analyze(snapshot: Snapshot): Finding[];
}

/** Declares an analyzer's meta, its docs page at docs/analyzers/<id>.md. */
export function defineAnalyzer(meta: Omit<AnalyzerMeta, 'docs'>): AnalyzerMeta {
  return { ...meta, docs: `docs/analyzers/${meta.id}.md` };
}

/** Builds a finding of a declared type, dropping undefined evidence values; the evidence is checked against the type. */
export function finding<E extends object>(snapshot: Snapshot, type: FindingType<E>, severity: Severity, entity: EntityRef, evidence: E): Finding {
  const clean: Record<string, EvidenceValue> = {};
  for (const [k, v] of Object.entries(evidence as Record<string, EvidenceValue | undefined>)) if (v !== undefined) clean[k] = v;
  return { code: type.id, severity, snapshot: snapshot.id, entity, evidence: clean };
}

/** A ratio rounded to four places, or null when the denominator is zero or unknown. */
export function ratio(part: number | undefined, whole: number | undefined): number | null {
  if (part === undefined || whole === undefined || whole <= 0) return null;
  return Math.round((part / whole) * 10_000) / 10_000;
}
