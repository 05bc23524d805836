// gzip-compressed inputs (RFC 1952: members start with the bytes 1f 8b), decompressed as a stream with a cap on
// the decompressed size, so a small file that inflates without end (a gzip bomb) fails fast with a clear error.

import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from './input-error.ts';
import { peek } from './peek.ts';

/** Default cap on the decompressed size of one gzip input: 4 GiB. */
export const MAX_GUNZIP_BYTES = 4 * 1024 ** 3;

/** Options of {@link maybeGunzip}. */
interface GunzipOptions {
  /** Largest decompressed size accepted (default {@link MAX_GUNZIP_BYTES}). */
  maxBytes?: number;
  /** The input's name says it is gzip (`.gz`): refuse it when it is not. */
  expectGzip?: boolean;
}

function mib(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(bytes % 1024 ** 3 === 0 ? 0 : 1)} GiB` : `${(bytes / 1048576).toFixed(0)} MiB`;
}

/** Yields a stream's bytes, decompressed when they start with gzip's magic bytes; other streams pass through. */
export async function* maybeGunzip(chunks: AsyncIterable<Buffer>, source: string, options: GunzipOptions = {}): AsyncGenerator<Buffer> {
  const { head, rest } = await peek(chunks, 2);
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    if (options.expectGzip) throw new InputError(source, 'is named .gz but is not gzip data (it does not start with 1f 8b); expected a gzip-compressed file');
    yield* rest;
    return;
  }
  const maxBytes = options.maxBytes ?? MAX_GUNZIP_BYTES;
  const input = Readable.from(rest, { objectMode: false });
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  let inputError: unknown;
  input.on('error', (err) => {
    inputError = err;
    gunzip.destroy(err);
  });
  input.pipe(gunzip);
  let total = 0;
  try {
    for await (const chunk of gunzip) {
      total += (chunk as Buffer).length;
      if (total > maxBytes) {
        throw new InputError(
          source,
          `decompresses to more than ${mib(maxBytes)}, the limit for gzip input; expected a gzip file smaller than that when decompressed`,
        );
      }
      yield chunk as Buffer;
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    if (inputError !== undefined) throw inputError;
    throw new InputError(source, `invalid gzip data (${(err as Error).message}); expected a complete gzip-compressed file`);
  } finally {
    input.unpipe(gunzip);
    input.destroy();
    gunzip.destroy();
  }
}
