// A resumable structural scanner for JSON arriving as Buffer chunks, for documents too large to be one string
// (V8 strings stop at about 512 MiB). It tracks only bracket depth and string state on bytes; a handler decides,
// per value at the levels it cares about, to descend into it, to hand it over parsed, or to skip it without
// keeping its bytes. Values handed over are JSON.parse'd on their own (consecutive array elements in batches of
// about 1 MiB), so the parse work is about one JSON.parse of the kept part, and memory follows what is kept.
// Bytes are decoded only as whole values, so UTF-8 sequences and escapes split across chunks are safe.

import { InputError } from './input-error.ts';

/** A key (objects) or index (arrays) on the way from the document's root to a value. */
export type PathPart = string | number;

/** What the first byte of a value shows it to be. */
export type ValueKind = 'object' | 'array' | 'scalar';

/**
 * What to do with a value: walk into it (its members are decided one by one), hand it over parsed, skip it
 * without keeping its bytes, or (objects only) read its first key before deciding with `decidePeeked`.
 */
export type Decision = 'descend' | 'emit' | 'skip' | 'peek';

/** Receives the parts of a streamed JSON document the handler asks for. */
export interface JsonStreamHandler {
  /** Decides what to do with the value at `path`; a scalar told to `descend` or `peek` is emitted. */
  decide(path: readonly PathPart[], kind: ValueKind): Decision;
  /** For `peek`: decides once the object's first key is known (`undefined` for `{}`). */
  decidePeeked?(path: readonly PathPart[], firstKey: string | undefined): 'descend' | 'emit' | 'skip';
  /** A descended container opens. */
  enter?(path: readonly PathPart[], kind: 'object' | 'array'): void;
  /** An emitted value, parsed. Array elements arrive in order, possibly after a short delay (batching). */
  value(path: readonly PathPart[], value: unknown): void;
  /** A descended container closes. */
  leave?(path: readonly PathPart[]): void;
}

/** Options of a {@link JsonStreamScanner}. */
export interface JsonStreamOptions {
  /** What the input should have been, for error messages (`expected ...`). */
  expected: string;
  /** Largest single value handed over parsed; larger ones are an InputError. */
  maxValueBytes?: number;
  /** Bytes of the input before the first chunk written (a scan that takes over part way), for error messages. */
  startOffset?: number;
}

/** Default and largest value one JSON.parse is asked to read (V8 strings stop at about 512 MiB). */
export const MAX_VALUE_BYTES = 500 * 1024 * 1024;
/** Consecutive emitted array elements are parsed together up to about this many bytes. */
const BATCH_BYTES = 1 << 20;

const OBJ = 0;
const ARR = 1;

// Structural states.
const ROOT_VALUE = 0;
const ROOT_DONE = 1;
const O_KEY_OR_END = 2;
const O_KEY = 3;
const O_COLON = 4;
const O_VALUE = 5;
const O_COMMA_OR_END = 6;
const A_VALUE_OR_END = 7;
const A_VALUE = 8;
const A_COMMA_OR_END = 9;
// Modes.
const STRUCT = 0;
const KEY = 1;
const VALUE = 2;

interface Frame {
  kind: typeof OBJ | typeof ARR;
  /** The current member's key, or the current element's index. */
  slot: PathPart;
  /** Next element index (arrays). */
  next: number;
  /** Waiting for the first key before deciding (peeked objects). */
  peek: boolean;
}

interface Pending {
  path: PathPart[];
  parts: Buffer[];
  bytes: number;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** `configs[3].dynamic_active_clusters[12]` for a path. */
export function pathText(path: readonly PathPart[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out === '' ? 'the top-level value' : out;
}

function decode(parts: Buffer[]): string {
  return parts.length === 1 ? (parts[0] as Buffer).toString('utf8') : Buffer.concat(parts).toString('utf8');
}

/** Feeds chunks with {@link JsonStreamScanner.write}, then calls {@link JsonStreamScanner.end}. */
export class JsonStreamScanner {
  private readonly source: string;
  private readonly handler: JsonStreamHandler;
  private readonly expected: string;
  private readonly maxValueBytes: number;
  private readonly frames: Frame[] = [];
  private state = ROOT_VALUE;
  private mode = STRUCT;
  /** Bytes seen before the current chunk. */
  private offset = 0;
  /** Bytes of the input before the first chunk (JsonStreamOptions.startOffset). */
  private readonly startOffset: number;
  private started = false;
  private head: Buffer | undefined;

  // String scanning across chunks: the previous chunk ended inside a string on a backslash.
  private escaped = false;

  // KEY mode.
  private keyParts: Buffer[] = [];

  // VALUE mode.
  private capture = false;
  private depth = 0;
  private inString = false;
  private literal = false;
  private brackets = new Uint8Array(64);
  private valuePath: PathPart[] = [];
  private valueParts: Buffer[] = [];
  private valueBytes = 0;

  // A peeked object's bytes so far (from its `{`), and where they start in the current chunk.
  private peekParts: Buffer[] = [];
  private peekStart = -1;

  // Emitted elements of the innermost array waiting to be parsed together.
  private batch: Pending[] = [];
  private batchBytes = 0;

  constructor(source: string, handler: JsonStreamHandler, options: JsonStreamOptions) {
    this.source = source;
    this.handler = handler;
    this.expected = options.expected;
    this.maxValueBytes = options.maxValueBytes ?? MAX_VALUE_BYTES;
    this.startOffset = options.startOffset ?? 0;
  }

  private fail(problem: string): InputError {
    return new InputError(this.source, `${problem}; ${this.expected}`);
  }

  private syntax(at: number, what: string, byte: number): InputError {
    const shown = byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16).padStart(2, '0')}`;
    return this.fail(`invalid JSON at byte ${this.startOffset + this.offset + at}: ${shown} where ${what} was expected`);
  }

  private path(): PathPart[] {
    return this.frames.map((f) => f.slot);
  }

  /** Scans one chunk. */
  write(chunk: Buffer): void {
    if (!this.started) {
      // A byte-order mark is three bytes, which may arrive split.
      const data = this.head ? Buffer.concat([this.head, chunk]) : chunk;
      if (data.length < 3 && data.every((b, i) => b === [0xef, 0xbb, 0xbf][i])) {
        this.head = data;
        return;
      }
      this.head = undefined;
      this.started = true;
      const bom = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf;
      if (bom) this.offset = 3;
      this.scan(bom ? data.subarray(3) : data);
      return;
    }
    this.scan(chunk);
  }

  private scan(buf: Buffer): void {
    const n = buf.length;
    let i = 0;
    if (this.peekStart === -2) this.peekStart = 0;
    while (i < n) {
      if (this.mode === VALUE) {
        i = this.scanValue(buf, i);
        continue;
      }
      if (this.mode === KEY) {
        i = this.scanKey(buf, i);
        continue;
      }
      const c = buf[i] as number;
      if (isSpace(c)) {
        i++;
        continue;
      }
      switch (this.state) {
        case ROOT_VALUE:
        case O_VALUE:
        case A_VALUE:
        case A_VALUE_OR_END:
          if (this.state === A_VALUE_OR_END && c === 0x5d) {
            i++;
            this.close(ARR, c, i - 1);
            break;
          }
          if (this.state === O_VALUE || this.state === ROOT_VALUE || this.state === A_VALUE || this.state === A_VALUE_OR_END) {
            if (c === 0x5d || c === 0x7d || c === 0x2c || c === 0x3a) throw this.syntax(i, 'a value', c);
          }
          i = this.startValue(buf, i, c);
          break;
        case O_KEY_OR_END:
        case O_KEY:
          if (c === 0x7d && this.state === O_KEY_OR_END) {
            i++;
            this.close(OBJ, c, i - 1);
            break;
          }
          if (c !== 0x22) throw this.syntax(i, this.state === O_KEY ? 'a key' : "a key or '}'", c);
          this.mode = KEY;
          this.keyParts = [];
          this.escaped = false;
          i++;
          break;
        case O_COLON:
          if (c !== 0x3a) throw this.syntax(i, "':'", c);
          this.state = O_VALUE;
          i++;
          break;
        case O_COMMA_OR_END:
          if (c === 0x2c) this.state = O_KEY;
          else if (c === 0x7d) this.close(OBJ, c, i);
          else throw this.syntax(i, "',' or '}'", c);
          i++;
          break;
        case A_COMMA_OR_END:
          if (c === 0x2c) this.state = A_VALUE;
          else if (c === 0x5d) this.close(ARR, c, i);
          else throw this.syntax(i, "',' or ']'", c);
          i++;
          break;
        case ROOT_DONE:
          throw this.syntax(i, 'the end of the document', c);
      }
    }
    if (this.peekStart >= 0) {
      this.peekParts.push(buf.subarray(this.peekStart));
      this.peekStart = -2;
    }
    this.offset += n;
  }

  /** The state after a value inside the innermost container (or at the root) is complete. */
  private afterValue(): void {
    const top = this.frames.at(-1);
    this.state = top === undefined ? ROOT_DONE : top.kind === OBJ ? O_COMMA_OR_END : A_COMMA_OR_END;
  }

  private startValue(buf: Buffer, i: number, c: number): number {
    const top = this.frames.at(-1);
    if (top?.kind === ARR) top.slot = top.next++;
    const kind: ValueKind = c === 0x7b ? 'object' : c === 0x5b ? 'array' : 'scalar';
    const path = this.path();
    let decision = this.handler.decide(path, kind);
    if (kind === 'scalar' && (decision === 'descend' || decision === 'peek')) decision = 'emit';
    if (kind === 'array' && decision === 'peek') decision = 'descend';
    if (decision === 'peek') {
      // Fast path: the first key lies whole in this chunk, without escapes; decide now, without a frame.
      let k = i + 1;
      while (k < buf.length && isSpace(buf[k] as number)) k++;
      if (buf[k] === 0x22) {
        let close = k + 1;
        while (close < buf.length && buf[close] !== 0x22 && buf[close] !== 0x5c) close++;
        if (close < buf.length && buf[close] === 0x22) {
          const late = this.handler.decidePeeked?.(path, buf.toString('utf8', k + 1, close)) ?? 'emit';
          if (late !== 'descend') {
            this.beginValue(path, late === 'emit', [], 0, 0);
            return i;
          }
        }
      }
    }
    if (decision === 'descend' || decision === 'peek') {
      if (decision === 'descend') {
        this.flushBatch();
        this.handler.enter?.(path, kind as 'object' | 'array');
      } else {
        this.peekParts = [];
        this.peekStart = i;
      }
      this.frames.push({ kind: kind === 'object' ? OBJ : ARR, slot: '', next: 0, peek: decision === 'peek' });
      this.state = kind === 'object' ? O_KEY_OR_END : A_VALUE_OR_END;
      return i + 1;
    }
    this.beginValue(path, decision === 'emit', [], 0, 0);
    return i;
  }

  private beginValue(path: PathPart[], capture: boolean, parts: Buffer[], bytes: number, depth: number): void {
    this.mode = VALUE;
    this.capture = capture;
    this.valuePath = path;
    this.valueParts = parts;
    this.valueBytes = bytes;
    this.depth = depth;
    this.inString = false;
    this.literal = false;
  }

  private close(kind: typeof OBJ | typeof ARR, c: number, at: number): void {
    const frame = this.frames.pop();
    if (frame === undefined || frame.kind !== kind) throw this.syntax(at, 'a matching bracket', c);
    if (frame.peek) {
      // `{}` under peek: decided with no first key.
      this.frames.push(frame);
      const path = this.path();
      this.frames.pop();
      const decision = this.handler.decidePeeked?.(path, undefined) ?? 'emit';
      this.peekStart = -1;
      this.peekParts = [];
      if (decision === 'descend') {
        this.flushBatch();
        this.handler.enter?.(path, 'object');
        this.handler.leave?.(path);
      } else if (decision === 'emit') this.emit(path, [Buffer.from('{}')], 2);
      this.afterValue();
      return;
    }
    this.flushBatch();
    this.frames.push(frame);
    const path = this.path();
    this.frames.pop();
    this.handler.leave?.(path);
    this.afterValue();
  }

  /**
   * Index of the quote closing a string, or -1 when the chunk ends inside it (`escaped` then tells whether its
   * last byte was an unfinished backslash escape). A byte loop: faster than indexOf on a dump's many short strings.
   */
  private stringEnd(buf: Buffer, from: number): number {
    const n = buf.length;
    let i = from;
    if (this.escaped) {
      this.escaped = false;
      i++;
    }
    for (; i < n; i++) {
      const c = buf[i] as number;
      if (c === 0x22) return i;
      if (c === 0x5c && ++i >= n) {
        this.escaped = true;
        return -1;
      }
    }
    return -1;
  }

  private scanKey(buf: Buffer, i: number): number {
    const end = this.stringEnd(buf, i);
    if (end < 0) {
      this.keyParts.push(buf.subarray(i));
      if (this.keyParts.reduce((n, p) => n + p.length, 0) > this.maxValueBytes) throw this.fail(`a key in ${pathText(this.path())} is longer than ${this.maxValueBytes} bytes`);
      return buf.length;
    }
    this.keyParts.push(buf.subarray(i, end));
    const raw = decode(this.keyParts);
    this.keyParts = [];
    let key: string;
    if (raw.includes('\\')) {
      try {
        key = JSON.parse(`"${raw}"`) as string;
      } catch (err) {
        throw this.fail(`invalid JSON key in ${pathText(this.path())} (${(err as Error).message})`);
      }
    } else key = raw;
    const top = this.frames.at(-1) as Frame;
    top.slot = key;
    this.mode = STRUCT;
    this.state = O_COLON;
    if (top.peek) {
      top.peek = false;
      const path = this.path();
      path.pop();
      const decision = this.handler.decidePeeked?.(path, key) ?? 'emit';
      if (decision === 'descend') {
        this.peekStart = -1;
        this.peekParts = [];
        this.flushBatch();
        this.handler.enter?.(path, 'object');
      } else {
        // Hand the object to the value scanner, one level deep, with what was read of it so far.
        const parts = decision === 'emit' ? this.peekParts : [];
        if (decision === 'emit') parts.push(buf.subarray(this.peekStart < 0 ? 0 : this.peekStart, end + 1));
        this.peekStart = -1;
        this.peekParts = [];
        this.frames.pop();
        this.beginValue(path, decision === 'emit', parts, parts.reduce((n, p) => n + p.length, 0), 1);
        this.brackets[0] = OBJ;
      }
    }
    return end + 1;
  }

  /** Scans (and keeps, when emitting) the bytes of one value; returns where it stopped. */
  private scanValue(buf: Buffer, start: number): number {
    const n = buf.length;
    let i = start;
    let depth = this.depth;
    let done = -1;
    if (this.inString) {
      const e = this.stringEnd(buf, i);
      if (e < 0) i = n;
      else {
        this.inString = false;
        i = e + 1;
        if (depth === 0) done = i;
      }
    } else if (this.literal || (depth === 0 && this.valueBytes === 0 && buf[i] !== 0x22 && buf[i] !== 0x7b && buf[i] !== 0x5b)) {
      // A number, true, false or null: runs to the next delimiter.
      this.literal = true;
      while (i < n) {
        const c = buf[i] as number;
        if (c === 0x2c || c === 0x7d || c === 0x5d || isSpace(c)) break;
        i++;
      }
      if (i < n) done = i;
    }
    if (done < 0 && !this.inString && !this.literal) {
      let brackets = this.brackets;
      for (; i < n; i++) {
        const c = buf[i] as number;
        if (c === 0x22) {
          this.escaped = false;
          const e = this.stringEnd(buf, i + 1);
          if (e < 0) {
            this.inString = true;
            i = n;
            break;
          }
          i = e;
          if (depth === 0) {
            done = i + 1;
            break;
          }
        } else if (c === 0x7b || c === 0x5b) {
          if (depth === brackets.length) {
            const grown = new Uint8Array(brackets.length * 2);
            grown.set(brackets);
            this.brackets = brackets = grown;
          }
          brackets[depth++] = c === 0x7b ? OBJ : ARR;
        } else if (c === 0x7d || c === 0x5d) {
          if (depth === 0 || brackets[--depth] !== (c === 0x7d ? OBJ : ARR)) {
            throw this.syntax(i, `a matching bracket in ${pathText(this.valuePath)}`, c);
          }
          if (depth === 0) {
            done = i + 1;
            break;
          }
        }
      }
    }
    this.depth = depth;
    const end = done < 0 ? n : done;
    if (this.capture && end > start) {
      this.valueParts.push(buf.subarray(start, end));
      this.valueBytes += end - start;
      if (this.valueBytes > this.maxValueBytes) {
        throw this.fail(`${pathText(this.valuePath)} is larger than ${(this.maxValueBytes / 1048576).toFixed(0)} MiB, more than one value can be read in`);
      }
    }
    if (done >= 0) {
      this.mode = STRUCT;
      this.literal = false;
      if (this.capture) this.emit(this.valuePath, this.valueParts, this.valueBytes);
      this.valueParts = [];
      this.valueBytes = 0;
      this.afterValue();
    }
    return end;
  }

  /** Hands a value over: array elements join the batch, anything else is parsed now. */
  private emit(path: PathPart[], parts: Buffer[], bytes: number): void {
    if (typeof path.at(-1) === 'number') {
      const last = this.batch.at(-1);
      if (last !== undefined && last.path.length !== path.length) this.flushBatch();
      this.batch.push({ path, parts, bytes });
      this.batchBytes += bytes;
      if (this.batchBytes >= BATCH_BYTES) this.flushBatch();
      return;
    }
    this.flushBatch();
    this.handler.value(path, this.parse(path, decode(parts)));
  }

  private parse(path: readonly PathPart[], text: string): unknown {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw this.fail(`invalid JSON in ${pathText(path)} (${(err as Error).message})`);
    }
  }

  private flushBatch(): void {
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

  /** Ends the input: throws an InputError naming where a truncated document stops. */
  end(): void {
    // Input that stopped inside a byte-order mark is empty.
    if (!this.started && this.head) throw this.fail('is empty');
    if (this.mode === VALUE && this.literal) {
      // A literal at the very end of the input ends there.
      this.mode = STRUCT;
      this.literal = false;
      if (this.capture) this.emit(this.valuePath, this.valueParts, this.valueBytes);
      this.afterValue();
    }
    if (this.state === ROOT_DONE && this.mode === STRUCT) {
      this.flushBatch();
      return;
    }
    if (this.offset === 0 || (this.state === ROOT_VALUE && this.mode === STRUCT)) throw this.fail('is empty');
    let where: string;
    if (this.mode === VALUE) where = `${pathText(this.valuePath)}${this.inString ? ' (in a string)' : ''}`;
    else if (this.mode === KEY) where = `a key in ${pathText(this.path().slice(0, -1))}`;
    else {
      const path = this.path();
      const top = this.frames.at(-1);
      if (top && (this.state === O_KEY_OR_END || this.state === A_VALUE_OR_END || this.state === O_KEY || this.state === A_VALUE || this.state === O_COMMA_OR_END || this.state === A_COMMA_OR_END)) path.pop();
      where = pathText(path);
    }
    throw this.fail(`truncated JSON: ends inside ${where} after ${this.startOffset + this.offset} bytes`);
  }
}

/** Scans a whole chunk stream with `handler`; throws InputError on malformed or truncated input. */
export async function scanJsonChunks(chunks: AsyncIterable<Buffer>, source: string, handler: JsonStreamHandler, options: JsonStreamOptions | (() => JsonStreamOptions)): Promise<void> {
  let scanner: JsonStreamScanner | undefined;
  // Options given as a function are read when the first chunk arrives.
  const scannerFor = (): JsonStreamScanner => (scanner ??= new JsonStreamScanner(source, handler, typeof options === 'function' ? options() : options));
  for await (const chunk of chunks) scannerFor().write(chunk);
  scannerFor().end();
}
