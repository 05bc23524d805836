// The values the streaming JSON scanner (json-stream.ts) hands over, parsed: consecutive array elements are parsed
// together, in one JSON.parse of about 1 MiB, so parsing costs about one JSON.parse of the kept part; anything else
// is parsed on its own.

import type { InputError } from './input-error.ts';
import { type JsonStreamHandler, type PathPart, pathText } from './json-stream-handler.ts';

/** Consecutive emitted array elements are parsed together up to about this many bytes. */
export const BATCH_BYTES = 1 << 20;

/** One emitted array element waiting for its batch to be parsed. */
interface Pending {
  path: PathPart[];
  parts: Buffer[];
  bytes: number;
}

/** The UTF-8 text of a value's bytes, read in parts. */
export function decode(parts: Buffer[]): string {
  return parts.length === 1 ? (parts[0] as Buffer).toString('utf8') : Buffer.concat(parts).toString('utf8');
}

/** Parses the values handed over and passes them to the handler, array elements in batches. */
export class ValueBatch {
  private readonly handler: JsonStreamHandler;
  private readonly fail: (problem: string) => InputError;
  // Emitted elements of the innermost array waiting to be parsed together.
  private batch: Pending[] = [];
  private batchBytes = 0;

  constructor(handler: JsonStreamHandler, fail: (problem: string) => InputError) {
    this.handler = handler;
    this.fail = fail;
  }

  /** Hands a value over: array elements join the batch, anything else is parsed now. */
  emit(path: PathPart[], parts: Buffer[], bytes: number): void {
    if (typeof path.at(-1) === 'number') {
      const last = this.batch.at(-1);
      if (last !== undefined && last.path.length !== path.length) this.flush();
      this.batch.push({ path, parts, bytes });
      this.batchBytes += bytes;
      if (this.batchBytes >= BATCH_BYTES) this.flush();
      return;
    }
    this.flush();
    this.handler.value(path, this.parse(path, decode(parts)));
  }

  private parse(path: readonly PathPart[], text: string): unknown {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw this.fail(`invalid JSON in ${pathText(path)} (${(err as Error).message})`);
    }
  }

  /** Parses the waiting array elements and hands them over, in order. */
  flush(): void {
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    this.batchBytes = 0;
    if (batch.length === 1) {
      const one = batch[0] as Pending;
      this.handler.value(one.path, this.parse(one.path, decode(one.parts)));
      return;
    }
    const parts: Buffer[] = [Buffer.from('[')];
    const comma = Buffer.from(',');
    for (const p of batch) {
      if (parts.length > 1) parts.push(comma);
      for (const part of p.parts) parts.push(part);
    }
    parts.push(Buffer.from(']'));
    let values: unknown[];
    try {
      values = JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown[];
    } catch {
      // Name the element at fault.
      for (const p of batch) this.parse(p.path, decode(p.parts));
      throw this.fail(`invalid JSON in ${pathText(batch[0]?.path ?? [])}`);
    }
    if (values.length !== batch.length) {
      // A value that parsed to several (it held a comma at its top level): scanned wrongly, so parse one by one.
      for (const p of batch) this.handler.value(p.path, this.parse(p.path, decode(p.parts)));
      return;
    }
    for (let k = 0; k < batch.length; k++) this.handler.value((batch[k] as Pending).path, values[k]);
  }
}
