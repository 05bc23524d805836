// Splitting a byte stream into text lines with a bound on line length, so a file that is one
// enormous line fails fast with a clear error instead of exhausting memory. Lines come in windows of
// many lines, which parsers walk in place, to keep per-line strings out of multi-million-line inputs.

import { InputError } from './input-error.ts';

/** Longest line accepted in line-oriented inputs (stats text and Prometheus). */
const MAX_LINE_BYTES = 1_048_576;

/** Bytes decoded into one batch of lines at most (longer single lines excepted). */
const WINDOW_BYTES = 64 * 1024;

/** Where the reader is, for errors: the number of lines read so far. */
type LinesRead = () => number;

/**
 * Yields the text of a chunked UTF-8 stream (LF or CRLF lines, no leading byte-order mark) in windows of whole lines
 * (about 64 KiB, or one longer line), joined by `\n`, without the last line's newline. A line of more than
 * `maxLineBytes` is refused while still in bytes; `linesRead` names its line in the error.
 */
export async function* lineWindows(chunks: AsyncIterable<Buffer>, source: string, linesRead: LinesRead, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<string> {
  let pending: Buffer = Buffer.alloc(0);
  let first = true;
  // A window longer than this is one line, so one check per window finds every line over the limit.
  const window = Math.min(WINDOW_BYTES, maxLineBytes);
  const tooLong = (): InputError =>
    new InputError(source, `line ${linesRead() + 1} is longer than ${maxLineBytes} bytes; expected Envoy /stats output, one stat per line`);
  for await (const chunk of chunks) {
    const data = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    const lastNewline = data.lastIndexOf(10);
    if (lastNewline < 0) {
      if (data.length > maxLineBytes) throw tooLong();
      pending = data;
      continue;
    }
    // Decoded in windows of about 64 KiB: a window's text and its lines die young, where a 1 MiB string would be
    // allocated as a large object, outlive the next scavenge and wait for a full collection.
    for (let start = 0; start <= lastNewline; ) {
      let end = lastNewline;
      if (end - start > window) {
        const cut = data.lastIndexOf(10, start + window);
        end = cut > start ? cut : data.indexOf(10, start + window);
      }
      if (end - start > maxLineBytes && data.lastIndexOf(10, end - 1) < start) throw tooLong();
      let text = data.toString('utf8', start, end);
      start = end + 1;
      if (first) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      yield text;
    }
    pending = data.subarray(lastNewline + 1);
    if (pending.length > maxLineBytes) throw tooLong();
  }
  if (pending.length > 0) {
    let text = pending.toString('utf8');
    if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    yield text;
  }
}

/**
 * Calls `line(start, end)` for every non-empty line of a window from `lineWindows`, `end` before a CR ending the line;
 * returns how many lines the window holds, empty ones included.
 */
export function eachLine(text: string, line: (start: number, end: number) => void): number {
  let lines = 0;
  for (let start = 0; start <= text.length; ) {
    let newline = text.indexOf('\n', start);
    if (newline < 0) newline = text.length;
    lines++;
    let end = newline;
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    if (end > start) line(start, end);
    start = newline + 1;
  }
  return lines;
}

/** A line a parser could not read: where it is and what it says (cut to 80 characters). */
export interface RejectedLine {
  line: number;
  text: string;
}

/** The line `text[start, end)` of a window that follows `before` lines, as a RejectedLine. */
export function rejectedLine(text: string, start: number, end: number, before: number): RejectedLine {
  let line = before + 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < start; i = text.indexOf('\n', i + 1)) line++;
  const whole = text.slice(start, end);
  return { line, text: whole.length > 80 ? `${whole.slice(0, 79)}…` : whole };
}
