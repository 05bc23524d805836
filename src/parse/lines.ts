// Splitting a byte stream into text lines with a bound on line length, so a file that is one
// enormous line fails fast with a clear error instead of exhausting memory.

import { InputError } from './input-error.ts';

/** Longest line accepted in line-oriented inputs (stats text and Prometheus). */
export const MAX_LINE_BYTES = 1_048_576;

/** Yields the lines of a chunked UTF-8 stream (LF or CRLF), without a leading byte-order mark. */
export async function* lines(chunks: AsyncIterable<Buffer>, source: string, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNumber = 0;
  let first = true;
  const emit = (buf: Buffer): string => {
    lineNumber++;
    let end = buf.length;
    if (end > 0 && buf[end - 1] === 13) end--;
    let start = 0;
    if (first) {
      first = false;
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
    }
    return buf.toString('utf8', start, end);
  };
  const tooLong = (): InputError =>
    new InputError(source, `line ${lineNumber + 1} is longer than ${maxLineBytes} bytes; expected Envoy /stats output, one stat per line`);
  for await (const chunk of chunks) {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      if (pendingBytes + nl - start > maxLineBytes) throw tooLong();
      const piece = chunk.subarray(start, nl);
      const line = pending.length > 0 ? Buffer.concat([...pending, piece]) : piece;
      pending = [];
      pendingBytes = 0;
      yield emit(line);
      start = nl + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > maxLineBytes) throw tooLong();
    }
  }
  if (pendingBytes > 0) yield emit(Buffer.concat(pending));
}
