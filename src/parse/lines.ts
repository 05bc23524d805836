// Splitting a byte stream into text lines with a bound on line length, so a file that is one
// enormous line fails fast with a clear error instead of exhausting memory. Lines come in batches
// (one per chunk read) to keep per-line overhead out of multi-million-line inputs.

import { InputError } from './input-error.ts';

/** Longest line accepted in line-oriented inputs (stats text and Prometheus). */
export const MAX_LINE_BYTES = 1_048_576;

/** Bytes decoded into one batch of lines at most (longer single lines excepted). */
const WINDOW_BYTES = 64 * 1024;

/** The error for a line over the limit. */
function lineTooLong(source: string, line: number, maxLineBytes: number): InputError {
  return new InputError(source, `line ${line} is longer than ${maxLineBytes} bytes; expected Envoy /stats output, one stat per line`);
}

/** Where the reader is, for errors: the number of lines read so far. */
export type LinesRead = () => number;

/**
 * Yields the text of a chunked UTF-8 stream (LF or CRLF lines, no leading byte-order mark) in windows of whole lines
 * (about 64 KiB, or one longer line), joined by `\n`, without the last line's newline. A line of more than
 * `maxLineBytes` is refused while still in bytes; `linesRead` names its line in the error.
 */
export async function* lineWindows(chunks: AsyncIterable<Buffer>, source: string, linesRead: LinesRead, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<string> {
  let pending: Buffer = Buffer.alloc(0);
  let first = true;
  const tooLong = (): InputError => lineTooLong(source, linesRead() + 1, maxLineBytes);
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
      if (end - start > WINDOW_BYTES) {
        const cut = data.lastIndexOf(10, start + WINDOW_BYTES);
        end = cut > start ? cut : data.indexOf(10, start + WINDOW_BYTES);
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

/** Yields batches of the lines of a chunked UTF-8 stream (LF or CRLF), without a leading byte-order mark. */
export async function* lineBatches(chunks: AsyncIterable<Buffer>, source: string, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<string[]> {
  let lineNumber = 0;
  for await (const text of lineWindows(chunks, source, () => lineNumber, maxLineBytes)) {
    const batch = text.split('\n');
    for (let i = 0; i < batch.length; i++) {
      const line = batch[i] as string;
      if (line.length > maxLineBytes && Buffer.byteLength(line) > maxLineBytes) {
        throw lineTooLong(source, lineNumber + i + 1, maxLineBytes);
      }
      if (line.endsWith('\r')) batch[i] = line.slice(0, -1);
    }
    lineNumber += batch.length;
    yield batch;
  }
}
