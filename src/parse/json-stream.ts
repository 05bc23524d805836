// A resumable structural scanner for JSON arriving as Buffer chunks, for documents too large to be one string
// (V8 strings stop at about 512 MiB). It tracks only bracket depth and string state on bytes; a handler decides,
// per value at the levels it cares about, to descend into it, to hand it over parsed, or to skip it without
// keeping its bytes. Values handed over are JSON.parse'd on their own (consecutive array elements in batches of
// about 1 MiB), so the parse work is about one JSON.parse of the kept part, and memory follows what is kept.
// Bytes are decoded only as whole values, so UTF-8 sequences and escapes split across chunks are safe.
// Handlers: json-stream-handler.ts; states: json-scan-states.ts; a value's end: json-value-extent.ts, its bytes:
// json-value-reader.ts; parsing: json-value-batch.ts; arrays and skips read by line layout: json-layout.ts.

import { withoutByteOrderMark } from './byte-order-mark.ts';
import { InputError } from './input-error.ts';
import { type JsonStreamHandler, type JsonStreamOptions, MAX_VALUE_BYTES, type PathPart, pathText, type ValueKind } from './json-stream-handler.ts';
import { ClosingLineSearch, closingLine, elementCloseMark, elementRun } from './json-layout.ts';
import { decode, ValueBatch } from './json-value-batch.ts';
import {
  A_COMMA_OR_END,
  A_VALUE,
  A_VALUE_OR_END,
  type Frame,
  KEY,
  O_COLON,
  O_COMMA_OR_END,
  O_KEY,
  O_KEY_OR_END,
  O_VALUE,
  openContainerPath,
  ROOT_DONE,
  ROOT_VALUE,
  SKIP_LINES,
  STRUCT,
  VALUE,
} from './json-scan-states.ts';
import { ARR, isSpace, OBJ } from './json-value-extent.ts';
import { ValueReader } from './json-value-reader.ts';

/** Feeds chunks with {@link JsonStreamScanner.write}, then calls {@link JsonStreamScanner.end}. */
class JsonStreamScanner {
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
  /** Skipped containers are skipped to their closing line, and counted (JsonStreamOptions.skipByLayout). */
  private readonly skipByLayout: { skipped: number } | undefined;
  /** The closing line of the value being skipped by layout. */
  private skipSearch: ClosingLineSearch | undefined;

  // KEY mode.
  private keyParts: Buffer[] = [];

  /** The value being read (VALUE mode), or the key's string (KEY mode). */
  private readonly value: ValueReader;

  // A peeked object's bytes so far (from its `{`), and where they start in the current chunk.
  private peekParts: Buffer[] = [];
  private peekStart = -1;

  /** The values handed over, parsed in batches. */
  private readonly values: ValueBatch;

  /** `offset`: the bytes of a byte-order mark removed before the first chunk. */
  constructor(source: string, handler: JsonStreamHandler, options: JsonStreamOptions, offset: number) {
    this.source = source;
    this.offset = offset;
    this.handler = handler;
    this.expected = options.expected;
    this.maxValueBytes = options.maxValueBytes ?? MAX_VALUE_BYTES;
    this.startOffset = options.startOffset ?? 0;
    this.skipByLayout = options.skipByLayout;
    this.values = new ValueBatch(handler, (problem) => this.fail(problem));
    this.value = new ValueReader(
      this.values,
      this.maxValueBytes,
      (problem) => this.fail(problem),
      (at, what, c) => this.syntax(at, what, c),
    );
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
  write(buf: Buffer): void {
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
      if (this.mode === SKIP_LINES) {
        i = this.skipLines(buf, i);
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
          this.value.extent.escaped = false;
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
    if (top?.kind === ARR) {
      if (c === 0x7b && top.closeMark !== null) {
        const end = this.readElementRun(buf, i, top);
        if (end >= 0) return end;
      }
      top.slot = top.next++;
    }
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
            this.beginValue(path, late === 'emit', [], 0, false);
            return i;
          }
        }
      }
    }
    if (decision === 'descend' || decision === 'peek') {
      if (decision === 'descend') {
        this.values.flush();
        this.handler.enter?.(path, kind as 'object' | 'array');
      } else {
        this.peekParts = [];
        this.peekStart = i;
      }
      const everyElement = kind === 'array' && this.handler.emitsEveryElement?.(path) === true;
      this.frames.push({ kind: kind === 'object' ? OBJ : ARR, slot: '', next: 0, peek: decision === 'peek', closeMark: everyElement ? undefined : null });
      this.state = kind === 'object' ? O_KEY_OR_END : A_VALUE_OR_END;
      return i + 1;
    }
    if (decision === 'skip' && kind !== 'scalar' && this.skipByLayout !== undefined) {
      const mark = closingLine(buf, i);
      if (mark !== null) {
        this.skipByLayout.skipped++;
        this.value.path = path;
        this.skipSearch = new ClosingLineSearch(mark);
        return this.skipLines(buf, i + 1);
      }
    }
    this.beginValue(path, decision === 'emit', [], 0, false);
    return i;
  }

  /**
   * Reads the run of elements of array `top` from `start` (an object's `{`) with one JSON.parse and hands them over:
   * the index just past the run, or -1 to scan the element instead (json-layout.ts).
   */
  private readElementRun(buf: Buffer, start: number, top: Frame): number {
    const mark = top.closeMark ?? (top.closeMark = elementCloseMark(buf, start));
    if (mark == null) return -1;
    const run = elementRun(buf, start, mark, this.maxValueBytes);
    if (run === undefined) return -1;
    // Not laid out as the first element was: the scanner reads this array on its own from here.
    if (run === null) {
      top.closeMark = null;
      return -1;
    }
    const { end, elements } = run;
    this.values.flush();
    for (const element of elements) {
      top.slot = top.next++;
      this.handler.value(this.path(), element);
    }
    this.state = A_COMMA_OR_END;
    return end;
  }

  /** Skips bytes from `from` up to the skipped value's closing line, which may lie in a later chunk; returns where scanning goes on. */
  private skipLines(buf: Buffer, from: number): number {
    this.mode = SKIP_LINES;
    const end = (this.skipSearch as ClosingLineSearch).next(buf, from);
    if (end < 0) return buf.length;
    this.skipSearch = undefined;
    this.mode = STRUCT;
    this.afterValue();
    return end;
  }

  private beginValue(path: PathPart[], capture: boolean, parts: Buffer[], bytes: number, insideObject: boolean): void {
    this.mode = VALUE;
    this.value.begin(path, capture, parts, bytes, insideObject);
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
        this.values.flush();
        this.handler.enter?.(path, 'object');
        this.handler.leave?.(path);
      } else if (decision === 'emit') this.values.emit(path, [Buffer.from('{}')], 2);
      this.afterValue();
      return;
    }
    this.values.flush();
    this.frames.push(frame);
    const path = this.path();
    this.frames.pop();
    this.handler.leave?.(path);
    this.afterValue();
  }

  private scanKey(buf: Buffer, i: number): number {
    const end = this.value.extent.stringEnd(buf, i);
    if (end < 0) {
      this.keyParts.push(buf.subarray(i));
      if (this.keyParts.reduce((n, p) => n + p.length, 0) > this.maxValueBytes)
        throw this.fail(`a key in ${pathText(this.path())} is longer than ${this.maxValueBytes} bytes`);
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
        this.values.flush();
        this.handler.enter?.(path, 'object');
      } else {
        // Hand the object to the value scanner, one level deep, with what was read of it so far.
        const parts = decision === 'emit' ? this.peekParts : [];
        if (decision === 'emit') parts.push(buf.subarray(Math.max(0, this.peekStart), end + 1));
        this.peekStart = -1;
        this.peekParts = [];
        this.frames.pop();
        this.beginValue(
          path,
          decision === 'emit',
          parts,
          parts.reduce((n, p) => n + p.length, 0),
          true,
        );
      }
    }
    return end + 1;
  }

  /** Scans (and keeps, when emitting) the bytes of one value; returns where it stopped. */
  private scanValue(buf: Buffer, start: number): number {
    const end = this.value.scan(buf, start);
    if (end < 0) return buf.length;
    this.mode = STRUCT;
    this.afterValue();
    return end;
  }

  /** Ends the input: throws an InputError naming where a truncated document stops. */
  end(): void {
    if (this.mode === VALUE && this.value.endOfInput()) {
      this.mode = STRUCT;
      this.afterValue();
    }
    if (this.state === ROOT_DONE && this.mode === STRUCT) {
      this.values.flush();
      return;
    }
    if (this.offset === 0 || (this.state === ROOT_VALUE && this.mode === STRUCT)) throw this.fail('is empty');
    let where: string;
    if (this.mode === VALUE) where = `${pathText(this.value.path)}${this.value.extent.inString ? ' (in a string)' : ''}`;
    else if (this.mode === SKIP_LINES) where = pathText(this.value.path);
    else if (this.mode === KEY) where = `a key in ${pathText(this.path().slice(0, -1))}`;
    else where = pathText(openContainerPath(this.path(), this.state));
    throw this.fail(`truncated JSON: ends inside ${where} after ${this.startOffset + this.offset} bytes`);
  }
}

/** Scans a whole chunk stream with `handler`; throws InputError on malformed or truncated input. */
export async function scanJsonChunks(
  chunks: AsyncIterable<Buffer>,
  source: string,
  handler: JsonStreamHandler,
  options: JsonStreamOptions | (() => JsonStreamOptions),
): Promise<void> {
  let scanner: JsonStreamScanner | undefined;
  let mark = 0;
  // Options given as a function are read when the first chunk arrives.
  const scannerFor = (): JsonStreamScanner => (scanner ??= new JsonStreamScanner(source, handler, typeof options === 'function' ? options() : options, mark));
  for await (const chunk of withoutByteOrderMark(chunks, () => (mark = 3))) scannerFor().write(chunk);
  scannerFor().end();
}
