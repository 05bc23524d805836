// Reading user-supplied inputs: files, or standard input for `-`. The only file I/O of the offline pipeline.
// gzip-compressed inputs (named .gz, or starting with 1f 8b) are decompressed as they are read, up to a cap.

import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { maybeGunzip, MAX_GUNZIP_BYTES } from '../parse/gzip.ts';
import { InputError } from '../parse/input-error.ts';

/** Largest document read whole into memory (V8 strings stop at about 512 MiB). */
const MAX_DOCUMENT_BYTES = 500 * 1024 * 1024;

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

/** Limits applied while reading an input. */
interface ReadLimits {
  /** Largest decompressed size of a gzip input (default 4 GiB). */
  maxGunzipBytes?: number;
  /** Largest document read whole (default {@link MAX_DOCUMENT_BYTES}). */
  maxDocumentBytes?: number;
}

/** Streams an input's bytes, decompressing gzip (`.gz` or magic bytes 1f 8b) on the way. */
export function inputChunks(path: string, limits: ReadLimits = {}): AsyncGenerator<Buffer> {
  return maybeGunzip(rawChunks(path), inputName(path), { maxBytes: limits.maxGunzipBytes ?? MAX_GUNZIP_BYTES, expectGzip: path.endsWith('.gz') });
}

/** Streams a regular file's bytes again from its start, as inputChunks does; undefined for stdin, pipes and devices. */
export async function rereadChunks(path: string, limits: ReadLimits = {}): Promise<(() => AsyncGenerator<Buffer>) | undefined> {
  if (path === '-') return undefined;
  try {
    return (await stat(path)).isFile() ? () => inputChunks(path, limits) : undefined;
  } catch {
    return undefined;
  }
}

/** Streams an input's bytes as stored. */
async function* rawChunks(path: string): AsyncGenerator<Buffer> {
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

/** Reads a whole document (access logs), refusing sizes that cannot be held as one string. */
export async function readDocument(path: string, limits: ReadLimits = {}): Promise<Buffer> {
  const max = limits.maxDocumentBytes ?? MAX_DOCUMENT_BYTES;
  if (path !== '-' && !path.endsWith('.gz')) {
    const size = await assertReadableFile(path);
    if (size > max) throw tooLarge(path, size, max);
    try {
      const bytes = await readFile(path);
      // Not gzip: done. gzip: read again through the decompressor, with its cap.
      if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
    } catch (err) {
      throw new InputError(path, `cannot read: ${describe(err)}`);
    }
  }
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of inputChunks(path, limits)) {
    total += chunk.length;
    if (total > max) throw tooLarge(path, total, max);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

function tooLarge(path: string, size: number, max: number): InputError {
  return new InputError(
    inputName(path),
    `${(size / 1048576).toFixed(0)} MiB is more than the ${(max / 1048576).toFixed(0)} MiB a whole document can be read in; expected a smaller file`,
  );
}
