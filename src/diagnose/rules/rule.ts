// The shape of a diagnosis rule: it combines one snapshot's findings into root causes of one catalogue id.

import type { Finding, RootCause } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';

/** A root cause before its fixes are rendered. */
export type Diagnosed = Omit<RootCause, 'fixes'>;

/** A diagnosis rule. */
export interface DiagnosisRule {
  /** The root-cause id it can name (catalogue). */
  id: string;
  /** Finding codes it combines. */
  uses: string[];
  diagnose(snapshot: Snapshot, findings: Finding[]): Diagnosed[];
}

/** Confidence from a 0..1 score. */
export function confidenceOf(score: number): RootCause['confidence'] {
  if (score >= 0.75) return 'high';
  if (score >= 0.5) return 'medium';
  return 'low';
}

/** Findings with a code about an entity. */
export function findingsAbout(findings: Finding[], code: string, kind: Finding['entity']['kind'], names: Iterable<string>): Finding[] {
  const wanted = new Set(names);
  return findings.filter((f) => f.code === code && f.entity.kind === kind && wanted.has(f.entity.name));
}

/** A buffer limit to propose: at least 1 MiB, else twice the current one. */
export function proposedBufferLimit(current: number): number {
  return current < 1_048_576 ? 1_048_576 : current * 2;
}
