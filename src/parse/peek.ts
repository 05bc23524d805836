// Looking at the first bytes of a stream (to recognise its format) without losing them.

/** How many bytes format detection looks at. */
const HEAD_BYTES = 64 * 1024;

/** The first `bytes` of a stream (fewer if it is shorter), and the whole stream again, those bytes included. */
export async function peek(chunks: AsyncIterable<Buffer>, bytes = HEAD_BYTES): Promise<{ head: Buffer; rest: AsyncIterable<Buffer> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < bytes) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    seen.push(next.value);
    size += next.value.length;
  }
  const head = Buffer.concat(seen).subarray(0, bytes);
  async function* rest(): AsyncGenerator<Buffer> {
    // The peeked chunks are handed on once and let go, so a large first chunk is not held for the whole read.
    while (seen.length > 0) yield seen.shift() as Buffer;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { head, rest: rest() };
}
