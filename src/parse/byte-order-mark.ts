// A UTF-8 byte-order mark (EF BB BF) at the start of a chunked input, which JSON.parse and the scanners do not take.

const MARK = [0xef, 0xbb, 0xbf];

/** The chunks without a leading byte-order mark, which may arrive split; `found` is called when one was removed. */
export async function* withoutByteOrderMark(chunks: AsyncIterable<Buffer>, found: () => void): AsyncGenerator<Buffer> {
  let head: Buffer | undefined;
  let started = false;
  for await (const chunk of chunks) {
    if (started) {
      yield chunk;
      continue;
    }
    const data = head ? Buffer.concat([head, chunk]) : chunk;
    if (data.length < 3 && data.every((b, i) => b === MARK[i])) {
      head = data;
      continue;
    }
    started = true;
    head = undefined;
    if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) {
      found();
      if (data.length > 3) yield data.subarray(3);
    } else yield data;
  }
}
