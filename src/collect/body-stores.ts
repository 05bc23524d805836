// Where a proxy's streamed admin answers are kept until the sink has taken them: files, chunks in memory, or memory
// within a budget shared across proxies that spills to files beyond it. Chunks are never joined into one buffer.

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** Where a proxy's streamed bodies are kept until the sink has taken them: a directory, or chunks in memory. */
export interface BodyStore {
  /** Stores a body under `name` as its chunks arrive. */
  write(name: string, chunks: AsyncIterable<Buffer>): Promise<void>;
  /** Reads a stored body back as chunks. */
  read(name: string): AsyncIterable<Buffer>;
}

/** A store of files in `dir`, made when the first body is written. */
export function fileStore(dir: string): BodyStore {
  let made: Promise<unknown> | undefined;
  return {
    async write(name, chunks) {
      made ??= mkdir(dir, { recursive: true });
      await made;
      await pipeline(chunks, createWriteStream(join(dir, name)));
    },
    read: (name) => createReadStream(join(dir, name)),
  };
}

/** A store that keeps each body's chunks as they came (never joined into one buffer). */
export function memoryStore(): BodyStore {
  const bodies = new Map<string, Buffer[]>();
  return {
    async write(name, chunks) {
      const parts: Buffer[] = [];
      for await (const c of chunks) parts.push(c);
      bodies.set(name, parts);
    },
    async *read(name) {
      const parts = bodies.get(name);
      if (!parts) throw new Error(`no body ${name}`);
      yield* parts;
    },
  };
}

/** Bytes that stores may keep in memory across proxies; what does not fit goes to disk. */
export class MemoryBudget {
  private left: number;
  constructor(bytes: number) {
    this.left = bytes;
  }
  /** Takes `n` bytes if they fit. */
  take(n: number): boolean {
    if (n > this.left) return false;
    this.left -= n;
    return true;
  }
  /** Gives `n` bytes back. */
  give(n: number): void {
    this.left += n;
  }
}

/** A store released when its proxy is done: what it held in memory goes back to its budget. */
export interface SpillStore extends BodyStore {
  release(): void;
}

/** The chunks already read, the one in hand, then the rest of the iterator. */
async function* resumed(read: Buffer[], current: Buffer, iterator: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* read;
  yield current;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
}

/**
 * A store that keeps bodies in memory while `budget` allows, and otherwise writes them to files in `dir` (made when
 * the first file is written): memory stays within the budget whatever the number of proxies.
 */
export function spillStore(dir: string, budget: MemoryBudget): SpillStore {
  const held = new Map<string, Buffer[]>();
  let taken = 0;
  const files = fileStore(dir);
  return {
    async write(name, chunks) {
      const parts: Buffer[] = [];
      let size = 0;
      const iterator = chunks[Symbol.asyncIterator]();
      try {
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
          if (!budget.take(next.value.length)) {
            // Over the budget: this body goes to disk, what was read of it first.
            budget.give(size);
            size = 0;
            await files.write(name, resumed(parts, next.value, iterator));
            return;
          }
          size += next.value.length;
          parts.push(next.value);
        }
      } catch (err) {
        // A body that fails half-way gives back what it had taken.
        budget.give(size);
        throw err;
      }
      taken += size;
      held.set(name, parts);
    },
    read(name) {
      const parts = held.get(name);
      if (!parts) return files.read(name);
      return (async function* () {
        yield* parts;
      })();
    },
    release() {
      budget.give(taken);
      taken = 0;
      held.clear();
    },
  };
}

/** A proxy's two stores: `waiting` for the first stats sample (kept across the interval), `now` for the rest. */
export interface ProxyStores {
  waiting: BodyStore;
  now: BodyStore;
}
