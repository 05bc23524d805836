// What a handler of the streaming JSON scanner (json-stream.ts) sees and decides: the path to each value, its kind,
// and whether to walk into it, hand it over parsed, or skip it; and the options of a scan.

/** A key (objects) or index (arrays) on the way from the document's root to a value. */
export type PathPart = string | number;

/** What the first byte of a value shows it to be. */
export type ValueKind = 'object' | 'array' | 'scalar';

/**
 * What to do with a value: walk into it (its members are decided one by one), hand it over parsed, skip it
 * without keeping its bytes, or (objects only) read its first key before deciding with `decidePeeked`.
 */
export type Decision = 'descend' | 'emit' | 'skip' | 'peek';

/** Receives the parts of a streamed JSON document the handler asks for. */
export interface JsonStreamHandler {
  /** Decides what to do with the value at `path`; a scalar told to `descend` or `peek` is emitted. */
  decide(path: readonly PathPart[], kind: ValueKind): Decision;
  /** For `peek`: decides once the object's first key is known (`undefined` for `{}`). */
  decidePeeked?(path: readonly PathPart[], firstKey: string | undefined): 'descend' | 'emit' | 'skip';
  /** A descended container opens. */
  enter?(path: readonly PathPart[], kind: 'object' | 'array'): void;
  /** An emitted value, parsed. Array elements arrive in order, possibly after a short delay (batching). */
  value(path: readonly PathPart[], value: unknown): void;
  /** A descended container closes. */
  leave?(path: readonly PathPart[]): void;
  /**
   * True when every element of the descended array at `path` is emitted, whatever its kind: the scanner may then read
   * a run of its elements from their bytes with one JSON.parse, without walking them (json-element-run.ts).
   */
  emitsEveryElement?(path: readonly PathPart[]): boolean;
}

/** Options of a scan (JsonStreamScanner in json-stream.ts). */
export interface JsonStreamOptions {
  /** What the input should have been, for error messages (`expected ...`). */
  expected: string;
  /** Largest single value handed over parsed; larger ones are an InputError. */
  maxValueBytes?: number;
  /** Bytes of the input before the first chunk written (a scan that takes over part way), for error messages. */
  startOffset?: number;
  /**
   * When given, an object or array the handler skips, laid out on lines of its own, is skipped to its closing line
   * without walking its bytes (json-layout.ts), and counted here. A document laid out otherwise may then fail to scan
   * although it is valid JSON; only a reader that can read its input again asks for this.
   */
  skipByLayout?: { skipped: number };
}

/** Default and largest value one JSON.parse is asked to read (V8 strings stop at about 512 MiB). */
export const MAX_VALUE_BYTES = 500 * 1024 * 1024;

/** `configs[3].dynamic_active_clusters[12]` for a path. */
export function pathText(path: readonly PathPart[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out === '' ? 'the top-level value' : out;
}
