// The shape of a diagnosis rule: it combines one snapshot's findings into root causes of one catalogue id.

import type { Confidence, Diagnosed, EvidenceValue, Finding, RootCause, Severity } from '../../model/finding.ts';
import type { Flavor, Snapshot } from '../../model/snapshot.ts';

/** A root cause before its fixes are rendered. */
export type { Diagnosed } from '../../model/finding.ts';

/** A diagnosis rule. */
export interface DiagnosisRule {
  /** The root-cause id it can name (catalogue). */
  id: string;
  /** Finding codes it combines. */
  uses: string[];
  diagnose(snapshot: Snapshot, findings: Finding[]): Diagnosed[];
  /** Flavors that render no fix for this root cause, each with why (every other flavor must render one). */
  noFixFor?: Partial<Record<Flavor, string>>;
}

/** Confidence from a 0..1 score. */
export function confidenceOf(score: number): RootCause['confidence'] {
  if (score >= 0.75) return 'high';
  if (score >= 0.5) return 'medium';
  return 'low';
}

const indexes = new WeakMap<Finding[], Map<string, Finding[]>>();

/** Findings with a code about entities of a kind, looked up through an index built once per findings list. */
export function findingsAbout(findings: Finding[], code: string, kind: Finding['entity']['kind'], names: Iterable<string>): Finding[] {
  let index = indexes.get(findings);
  if (!index) {
    index = new Map();
    for (const f of findings) {
      const key = `${f.code}|${f.entity.kind}|${f.entity.name}`;
      const list = index.get(key);
      if (list) list.push(f);
      else index.set(key, [f]);
    }
    indexes.set(findings, index);
  }
  const out: Finding[] = [];
  for (const name of names) out.push(...(index.get(`${code}|${kind}|${name}`) ?? []));
  return out;
}

/** A buffer limit to propose: at least 1 MiB, else twice the current one. */
export function proposedBufferLimit(current: number): number {
  return current < 1_048_576 ? 1_048_576 : current * 2;
}

/** Chosen evidence values of a finding, for an explanation (absent ones are null). */
export function evidenceOf(f: Finding, keys: string[]): Record<string, EvidenceValue> {
  return Object.fromEntries(keys.map((k) => [k, f.evidence[k] ?? null]));
}

/** How a rule turns its confidence into a severity. */
export type SeverityPolicy = (confidence: Confidence) => Severity;

/** The default policy: only a high-confidence root cause is an error. */
export const HIGH_IS_ERROR: SeverityPolicy = (c) => (c === 'high' ? 'error' : 'warning');

/** The scored fields of a root cause: the score capped at 1 and rounded, and the confidence and severity it gives. */
export function scoring(s: Snapshot, rawScore: number, severityOf: SeverityPolicy = HIGH_IS_ERROR): Pick<Diagnosed, 'severity' | 'confidence' | 'score' | 'snapshot'> {
  const score = Math.min(1, Math.round(rawScore * 100) / 100);
  const confidence = confidenceOf(score);
  return { severity: severityOf(confidence), confidence, score, snapshot: s.id };
}
