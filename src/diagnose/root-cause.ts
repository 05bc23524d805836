// The shape of a root cause: one module says what it is (id, title, message), what it rests on (the findings it
// combines), what it can explain (its explanation types), how to tell its fix worked (verify), which flavors render
// no fix and why, and how it is diagnosed from one snapshot's findings. The catalogue, the rule list, the verify
// steps and the stats those read are derived from the modules (src/diagnose/root-causes/index.ts).

import { type CatalogueEntry, coded, type ExplanationType } from '../model/catalogue-entry.ts';
import type { ClusterStat, HttpStat } from '../model/envoy-stats.ts';
import type { Confidence, Diagnosed, EntityRef, EvidenceValue, Explanation, Finding, RootCause, Severity } from '../model/finding.ts';
import type { Flavor, Snapshot } from '../model/snapshot.ts';

/** A root cause before its fixes are rendered. */
export type { Diagnosed } from '../model/finding.ts';

/** What a verified stat or setting should do after the fix. */
export type VerifyExpectation =
  /** A counter: no increase between two samples taken after the fix. */
  | 'stops-growing'
  /** A counter that should equal another (`other`): every pause resumed. */
  | 'matches'
  /** A gauge that should read 0. */
  | 'zero'
  /** A gauge that should fall well below its current value. */
  | 'falls'
  /** A counter that should keep rising as the traffic that failed now succeeds. */
  | 'keeps-growing'
  /** A setting that should now be present in /config_dump (or the object's status). */
  | 'present'
  /** A setting that should now be absent. */
  | 'absent';

/** A stat check's expectation. */
type StatExpectation = Exclude<VerifyExpectation, 'present' | 'absent'>;

/** One check of how to tell a fix worked: a stat of the entities the root cause names, or a setting. */
export type VerifyCheck =
  | { scope: 'cluster'; stat: ClusterStat; expect: StatExpectation; other?: ClusterStat }
  | { scope: 'connection-manager'; stat: HttpStat; expect: StatExpectation; other?: HttpStat }
  | { scope: EntityRef['kind']; setting: string; expect: 'present' | 'absent' };

/** A root cause, in one module. */
export interface RootCauseModule {
  /** The root-cause id (stable, never reused); its docs page is docs/findings/<id>.md. */
  id: string;
  title: string;
  /** One-sentence template, filled from its explanations' values and its evidence. */
  message: string;
  /** Finding codes it combines. */
  uses: readonly string[];
  /** The explanations it gives, with their message templates. */
  explanations: readonly ExplanationType<object>[];
  /** How to tell its fix worked. */
  verify: readonly VerifyCheck[];
  /** Flavors that render no fix for this root cause, each with why (every other flavor must render one). */
  noFixFor?: Partial<Record<Flavor, string>>;
  diagnose(snapshot: Snapshot, findings: Finding[]): Diagnosed[];
}

/** Declares a root cause. */
export function defineRootCause(m: RootCauseModule): RootCauseModule {
  return m;
}

/** The catalogue entry of a root cause. */
export function rootCauseEntry(m: Pick<RootCauseModule, 'id' | 'title' | 'message'>): CatalogueEntry {
  return { id: m.id, kind: 'root-cause', status: 'active', title: m.title, message: m.message, docs: `docs/findings/${m.id}.md` };
}

/** An explanation of a declared type, its values checked against the type (unknown values are null). */
export const explain: <V extends object>(type: ExplanationType<V>, values: { [K in keyof V]: V[K] | null }) => Explanation = coded;

/** Confidence from a 0..1 score. */
function confidenceOf(score: number): RootCause['confidence'] {
  if (score >= 0.75) return 'high';
  if (score >= 0.5) return 'medium';
  return 'low';
}

/** Findings by code, entity kind and entity name. */
type FindingIndex = Map<string, Map<Finding['entity']['kind'], Map<string, Finding[]>>>;

const indexes = new WeakMap<Finding[], FindingIndex>();

/** Findings with a code about entities of a kind, looked up through an index built once per findings list. */
export function findingsAbout(findings: Finding[], code: string, kind: Finding['entity']['kind'], names: Iterable<string>): Finding[] {
  let index = indexes.get(findings);
  if (!index) {
    // Nested maps rather than one joined key: names keep the hash V8 cached in them, and no key string is built.
    index = new Map();
    for (const f of findings) {
      let byKind = index.get(f.code);
      if (!byKind) index.set(f.code, (byKind = new Map()));
      let byName = byKind.get(f.entity.kind);
      if (!byName) byKind.set(f.entity.kind, (byName = new Map()));
      const list = byName.get(f.entity.name);
      if (list) list.push(f);
      else byName.set(f.entity.name, [f]);
    }
    indexes.set(findings, index);
  }
  const byName = index.get(code)?.get(kind);
  const out: Finding[] = [];
  if (!byName) return out;
  for (const name of names) {
    const list = byName.get(name);
    if (list) out.push(...list);
  }
  return out;
}

/** A buffer limit to propose: at least 1 MiB, else twice the current one. */
export function proposedBufferLimit(current: number): number {
  return current < 1_048_576 ? 1_048_576 : current * 2;
}

/** Chosen evidence values of a finding, for an explanation (absent ones are null). */
export function evidenceOf<K extends string>(f: Finding, keys: readonly K[]): Record<K, EvidenceValue> {
  return Object.fromEntries(keys.map((k) => [k, f.evidence[k] ?? null])) as Record<K, EvidenceValue>;
}

/** How a rule turns its confidence into a severity. */
type SeverityPolicy = (confidence: Confidence) => Severity;

/** The default policy: only a high-confidence root cause is an error. */
export const HIGH_IS_ERROR: SeverityPolicy = (c) => (c === 'high' ? 'error' : 'warning');

/** The scored fields of a root cause: the score capped at 1 and rounded, and the confidence and severity it gives. */
export function scoring(
  s: Snapshot,
  rawScore: number,
  severityOf: SeverityPolicy = HIGH_IS_ERROR,
): Pick<Diagnosed, 'severity' | 'confidence' | 'score' | 'snapshot'> {
  const score = Math.min(1, Math.round(rawScore * 100) / 100);
  const confidence = confidenceOf(score);
  return { severity: severityOf(confidence), confidence, score, snapshot: s.id };
}
