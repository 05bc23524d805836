// The shape every analyzer file exports: `meta` (what it is, what it reads) and a pure `analyze`.

import type { EntityRef, EvidenceValue, Finding, Severity } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';

/** What an analyzer reads from a snapshot. */
export type AnalyzerInput = 'config' | 'stats' | 'stats-later' | 'access-log' | 'kubernetes';

/** Describes an analyzer. */
export interface AnalyzerMeta {
  /** Stable id, also the file name. */
  id: string;
  title: string;
  reads: AnalyzerInput[];
  /** Catalogue ids of the findings it can emit. */
  emits: string[];
  /** Docs page, relative to the repository root. */
  docs: string;
}

/** An analyzer module. */
export interface Analyzer {
  meta: AnalyzerMeta;
  /** Pure: reads the snapshot, returns findings; never does I/O. */
  analyze(snapshot: Snapshot): Finding[];
}

/** Builds a finding, dropping undefined evidence values. */
export function finding(
  snapshot: Snapshot,
  code: string,
  severity: Severity,
  entity: EntityRef,
  evidence: Record<string, EvidenceValue | undefined>,
): Finding {
  const clean: Record<string, EvidenceValue> = {};
  for (const [k, v] of Object.entries(evidence)) if (v !== undefined) clean[k] = v;
  return { code, severity, snapshot: snapshot.id, entity, evidence: clean };
}

/** A ratio rounded to four places, or null when the denominator is zero or unknown. */
export function ratio(part: number | undefined, whole: number | undefined): number | null {
  if (part === undefined || whole === undefined || whole <= 0) return null;
  return Math.round((part / whole) * 10_000) / 10_000;
}
