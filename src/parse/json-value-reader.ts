// One value read by the streaming scanner (json-stream.ts) in its VALUE mode: where it ends (json-value-extent.ts),
// its bytes kept when it is handed over, and its size held to the largest value one JSON.parse is asked to read.

import { type PathPart, pathText } from './json-stream-handler.ts';
import type { ValueBatch } from './json-value-batch.ts';
import { ValueExtent } from './json-value-extent.ts';
import type { InputError } from './input-error.ts';

/** Reads the bytes of one value at a time, chunk by chunk, and hands over those it keeps. */
export class ValueReader {
  /** Where the value (or a key's string) being read ends. */
  readonly extent = new ValueExtent();
  /** The value's path. */
  path: PathPart[] = [];
  private capture = false;
  private parts: Buffer[] = [];
  private bytes = 0;
  private readonly values: ValueBatch;
  private readonly maxValueBytes: number;
  private readonly fail: (problem: string) => InputError;
  /** Throws for a closing bracket inside the value that matches no open one. */
  private readonly mismatch: (at: number, c: number) => never;

  constructor(values: ValueBatch, maxValueBytes: number, fail: (problem: string) => InputError, syntax: (at: number, what: string, c: number) => InputError) {
    this.values = values;
    this.maxValueBytes = maxValueBytes;
    this.fail = fail;
    this.mismatch = (at, c) => {
      throw syntax(at, `a matching bracket in ${pathText(this.path)}`, c);
    };
  }

  /** Starts a value (kept when `capture`) with the bytes read of it so far; `insideObject` as ValueExtent.begin. */
  begin(path: PathPart[], capture: boolean, parts: Buffer[], bytes: number, insideObject: boolean): void {
    this.capture = capture;
    this.path = path;
    this.parts = parts;
    this.bytes = bytes;
    this.extent.begin(insideObject);
  }

  /** Scans the value's bytes from `start`, keeping them when it is kept: the index just past its end, or -1. */
  scan(buf: Buffer, start: number): number {
    const done = this.extent.scan(buf, start, this.bytes === 0, this.mismatch);
    const end = done < 0 ? buf.length : done;
    if (this.capture && end > start) {
      this.parts.push(buf.subarray(start, end));
      this.bytes += end - start;
      if (this.bytes > this.maxValueBytes) {
        throw this.fail(`${pathText(this.path)} is larger than ${(this.maxValueBytes / 1048576).toFixed(0)} MiB, more than one value can be read in`);
      }
    }
    if (done >= 0) this.finish();
    return done;
  }

  /** The input ended: a number, true, false or null running to its end ends there; false if the value did not end. */
  endOfInput(): boolean {
    if (!this.extent.literal) return false;
    this.extent.literal = false;
    this.finish();
    return true;
  }

  /** The value ended: hands it over when kept. */
  private finish(): void {
    if (this.capture) this.values.emit(this.path, this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
  }
}
