// Reading user-supplied inputs: files, or standard input for `-`. The only file I/O of the offline pipeline.

import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { InputError } from '../parse/input-error.ts';

/** Largest document read whole into memory (V8 strings stop at about 512 MiB). */
export const MAX_DOCUMENT_BYTES = 500 * 1024 * 1024;

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return (err as Error).message;
}

/** The display name of an input path (`standard input` for `-`). */
export function inputName(path: string): string {
  return path === '-' ? 'standard input' : path;
}

/** Streams an input's bytes. */
export async function* inputChunks(path: string): AsyncGenerator<Buffer> {
  if (path === '-') {
    for await (const chunk of process.stdin) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    return;
  }
  await assertReadableFile(path);
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
  } catch (err) {
    throw new InputError(path, `cannot read: ${describe(err)}`);
  }
}

async function assertReadableFile(path: string): Promise<number> {
  let size: number;
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw new InputError(path, 'is a directory; expected a file');
    size = s.size;
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(path, `cannot read: ${describe(err)}`);
  }
  return size;
}

/** Reads a whole document (config dumps, JSON stats), refusing sizes that cannot be held as one string. */
export async function readDocument(path: string): Promise<Buffer> {
  if (path === '-') {
    const parts: Buffer[] = [];
    let total = 0;
    for await (const chunk of inputChunks('-')) {
      total += chunk.length;
      if (total > MAX_DOCUMENT_BYTES) throw tooLarge('-', total);
      parts.push(chunk);
    }
    return Buffer.concat(parts);
  }
  const size = await assertReadableFile(path);
  if (size > MAX_DOCUMENT_BYTES) throw tooLarge(path, size);
  try {
    return await readFile(path);
  } catch (err) {
    throw new InputError(path, `cannot read: ${describe(err)}`);
  }
}

function tooLarge(path: string, size: number): InputError {
  return new InputError(
    inputName(path),
    `${(size / 1048576).toFixed(0)} MiB is more than the ${MAX_DOCUMENT_BYTES / 1048576} MiB a single JSON or YAML document can be read in; ` +
      'expected a smaller dump (ask Envoy for less with /config_dump?resource= or ?mask=)',
  );
}
