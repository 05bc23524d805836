// Reading JSON by its line layout, for the streaming scanner (json-stream.ts). Pretty-printed JSON (Envoy's admin
// output, egctl, jq, kubectl) closes a container on a line of its own, at the indentation of the line that opened
// it, and indents everything inside it deeper. A line feed never occurs inside a JSON string (RFC 8259 §7: control
// characters are escaped), so a line feed, an indentation and a closing bracket mark a place outside any string
// where a container may end, and a native search finds it without walking the bytes in between.
// - Array elements: one JSON.parse of `[` + a run of elements + `]` both reads them and proves the cut. A text that
//   parses as a list of values, cut after a `}` outside any string, ends exactly at an element's end, since a cut
//   inside an element leaves its first bracket open. A run that does not parse is left to the scanner.
// - Skipped values: the first line holding only the key line's indentation and the closing bracket is taken as the
//   value's end. Laid out otherwise, a skip ends early, and the rest of the document then always fails to scan: the
//   skipped value's first bracket is still open, so one closing bracket too many is left over at the end. A reader
//   that skips by layout rereads a document that fails to scan without it (config-stream.ts).

import { BATCH_BYTES as RUN_BYTES } from './json-value-batch.ts';
import { isSpace } from './json-value-extent.ts';

/** Spaces and tabs: a line's indentation. */
function isIndent(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09;
}

/** A line feed, `indent` and a closing bracket. */
function lineMark(buf: Buffer, indentStart: number, indentEnd: number, closer: number): Buffer {
  const mark = Buffer.allocUnsafe(indentEnd - indentStart + 2);
  mark[0] = 0x0a;
  buf.copy(mark, 1, indentStart, indentEnd);
  mark[mark.length - 1] = closer;
  return mark;
}

/**
 * The close mark of the elements of an array whose element starts at `start` (an object's `{`): a line feed,
 * `start`'s indentation and `}`; `undefined` when `start`'s line begins in an earlier chunk (unknown yet), `null` when
 * the element does not begin its line (minified or hand-laid JSON), so runs cannot be found.
 */
export function elementCloseMark(buf: Buffer, start: number): Buffer | null | undefined {
  let s = start;
  while (s > 0 && isIndent(buf[s - 1])) s--;
  if (s === 0) return undefined;
  if (buf[s - 1] !== 0x0a) return null;
  return lineMark(buf, s, start, 0x7d);
}

/**
 * The end (just past its `}`) of the longest run of elements from `start` that closes on `mark` within `buf`,
 * stopping at the array's last element or once the run holds `atLeast` bytes; -1 when no element closes in `buf`.
 */
function elementRunEnd(buf: Buffer, start: number, mark: Buffer, atLeast: number): number {
  const n = buf.length;
  let end = -1;
  let from = start;
  for (;;) {
    const at = buf.indexOf(mark, from);
    if (at < 0) return end;
    end = at + mark.length;
    let k = end;
    while (k < n && isSpace(buf[k] as number)) k++;
    // Another element follows only after a comma; a `]`, the chunk's end or anything else ends the run here.
    if (k >= n || buf[k] !== 0x2c || end - start >= atLeast) return end;
    from = k + 1;
  }
}

/**
 * Reads the run of elements from `start` closing on `mark` with one JSON.parse (up to about 1 MiB, never more than
 * `maxBytes`): the elements and where the run ends; `undefined` when no run is found in `buf`, `null` when the run
 * found does not parse (the array is not laid out as its first element was).
 */
export function elementRun(buf: Buffer, start: number, mark: Buffer, maxBytes: number): { end: number; elements: unknown[] } | null | undefined {
  const end = elementRunEnd(buf, start, mark, RUN_BYTES);
  // A run longer than the largest value is scanned, so that an element too large is named as the scanner names it.
  if (end < 0 || end - start > maxBytes) return undefined;
  try {
    return { end, elements: JSON.parse(`[${buf.toString('utf8', start, end)}]`) as unknown[] };
  } catch {
    return null;
  }
}

/**
 * The closing line of the object or array opening at `open`, laid out as a member on lines of its own: its key starts
 * the line, its bracket ends it, and the next line is indented deeper. The mark is a line feed, the key line's
 * indentation and the matching closing bracket; `null` when the value is not laid out so within `buf`.
 */
export function closingLine(buf: Buffer, open: number): Buffer | null {
  let s = open;
  while (s > 0 && buf[s - 1] !== 0x0a) s--;
  if (s === 0) return null;
  let k = s;
  while (k < open && isIndent(buf[k])) k++;
  if (buf[k] !== 0x22) return null;
  let j = open + 1;
  while (j < buf.length && (isIndent(buf[j]) || buf[j] === 0x0d)) j++;
  if (buf[j] !== 0x0a) return null;
  const inner = j + 1;
  const indent = k - s;
  if (inner + indent >= buf.length || buf.compare(buf, s, k, inner, inner + indent) !== 0) return null;
  if (!isIndent(buf[inner + indent])) return null;
  return lineMark(buf, s, k, buf[open] === 0x7b ? 0x7d : 0x5d);
}

const EMPTY = Buffer.alloc(0);

/** Finds a skipped value's closing line in the chunks that follow its opening, a mark straddling two included. */
export class ClosingLineSearch {
  private readonly mark: Buffer;
  /** The last bytes of the previous chunk, which may hold the start of the mark. */
  private tail: Buffer = EMPTY;

  constructor(mark: Buffer) {
    this.mark = mark;
  }

  /** The index in `buf` just past the mark, or -1 when `buf` from `from` does not finish it. */
  next(buf: Buffer, from: number): number {
    const mark = this.mark;
    const tail = this.tail;
    this.tail = EMPTY;
    if (tail.length > 0) {
      const at = Buffer.concat([tail, buf.subarray(from, from + mark.length - 1)]).indexOf(mark);
      if (at >= 0) return from + at + mark.length - tail.length;
    }
    const at = buf.indexOf(mark, from);
    if (at >= 0) return at + mark.length;
    const keep = mark.length - 1;
    const rest = buf.length - from >= keep ? buf.subarray(buf.length - keep) : Buffer.concat([tail, buf.subarray(from)]);
    this.tail = Buffer.from(rest.subarray(Math.max(0, rest.length - keep)));
    return -1;
  }
}
