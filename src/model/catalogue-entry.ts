// The shape of a catalogue entry, and typed codes: a finding, explanation or note type carries the type of its
// evidence, and its message template is checked against it when it is declared, so a placeholder with no evidence key
// behind it is a type error, not a blank in a report. Templates: `{key}` is a value, `{key|one|many}` the words that
// agree with it, `[?...]` a section left out when a value it names was not measured (src/report/format.ts).

import type { EvidenceValue, Explanation } from './finding.ts';

/** A catalogue entry's kind. */
type EntryKind = 'finding' | 'root-cause' | 'explanation' | 'note';

/** One catalogue entry: an id that is never reused, with the words reporters show for it. */
export interface CatalogueEntry {
  id: string;
  kind: EntryKind;
  /** `active` ships now, `reserved` is promised to a later release, `retired` must never be reused. */
  status: 'active' | 'reserved' | 'retired';
  title: string;
  /** One-sentence template with `{evidenceKey}` placeholders. */
  message?: string;
  /** Docs page, relative to the repository root. */
  docs?: string;
}

/** Evidence or explanation values, by key. */
export type Values = Record<string, EvidenceValue>;

/** What follows the last `{` of a text: the placeholder a `}` closes, where a literal brace comes before it (JSON). */
type AfterLastBrace<S extends string> = S extends `${string}{${infer After}` ? AfterLastBrace<After> : S;

/** The keys a template names: `{key}` and `{key|one|many}`, optional sections included. */
type Placeholders<M extends string> = M extends `${string}{${infer Inner}}${infer Rest}`
  ? (AfterLastBrace<Inner> extends `${infer Key}|${string}` ? Key : AfterLastBrace<Inner>) | Placeholders<Rest>
  : never;

/** The template itself when every placeholder is a key of `V`, else a type naming the keys `V` lacks. */
type CheckedTemplate<M extends string, V> = [Exclude<Placeholders<M>, keyof V & string>] extends [never]
  ? M
  : `the template names ${Exclude<Placeholders<M>, keyof V & string>}, which its values lack`;

/** A catalogue code whose values have the type `V` (a phantom field carries it; it is never set). */
interface TypedCode<V> extends CatalogueEntry {
  readonly values?: V;
}

/** A finding type: the entry, and the type of the evidence an analyzer gives it. */
export type FindingType<E = Values> = TypedCode<E> & { kind: 'finding' };
/** An explanation type: what a root cause accounts for, with the values it fills in. */
export type ExplanationType<V = Values> = TypedCode<V> & { kind: 'explanation' };
/** A note type: a coded remark attached to a rendered fix. */
export type NoteType<V = Values> = TypedCode<V> & { kind: 'note' };

/** Declares a finding type: `findingType<Evidence>()(id, title, message)`; docs at docs/findings/<id>.md. */
export function findingType<E extends object>() {
  return <const M extends string>(id: string, title: string, message: CheckedTemplate<M, E>): FindingType<E> => ({
    id,
    kind: 'finding',
    status: 'active',
    title,
    message,
    docs: `docs/findings/${id}.md`,
  });
}

/** Declares an explanation type: `explanationType<Values>()(id, message)`. */
export function explanationType<V extends object>() {
  return <const M extends string>(id: string, message: CheckedTemplate<M, V>): ExplanationType<V> => ({
    id,
    kind: 'explanation',
    status: 'active',
    title: id,
    message,
  });
}

/** Declares a note type: `noteType<Values>()(id, message)`. */
export function noteType<V extends object>() {
  return <const M extends string>(id: string, message: CheckedTemplate<M, V>): NoteType<V> => ({ id, kind: 'note', status: 'active', title: id, message });
}

/** A coded statement of a declared type (an explanation or a note), its values checked against the type (unknown: null). */
export function coded<V extends object>(type: TypedCode<V>, values: { [K in keyof V]: V[K] | null }): Explanation {
  return { code: type.id, values: values as Record<string, EvidenceValue> };
}
