// Writing large generated files without holding them in memory: a buffered file sink, and a streaming
// pretty-printer for JSON laid out the way Envoy's admin prints /config_dump (one space per level).

import { closeSync, openSync, writeSync } from 'node:fs';

const FLUSH_AT = 1 << 20;

/** Appends text to a file through a 1 MiB buffer. */
export class FileSink {
  private readonly fd: number;
  private parts: string[] = [];
  private pending = 0;
  /** Characters written so far (bytes for ASCII output, which all generated files are). */
  written = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  /** Appends `text`. */
  write(text: string): void {
    this.parts.push(text);
    this.pending += text.length;
    this.written += text.length;
    if (this.pending >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    if (this.parts.length === 0) return;
    writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.pending = 0;
  }

  /** Flushes and closes the file. */
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

interface Level {
  first: boolean;
  close: '}' | ']';
}

/**
 * Pretty-prints one JSON document incrementally: containers are opened and closed by hand, and values small
 * enough to build in memory (one cluster, one listener) are written whole, indented to their depth.
 */
export class PrettyJsonWriter {
  private readonly sink: FileSink;
  private readonly unit: string;
  private readonly stack: Level[] = [];

  constructor(sink: FileSink, indent = 1) {
    this.sink = sink;
    this.unit = ' '.repeat(indent);
  }

  /** Characters written so far. */
  get written(): number {
    return this.sink.written;
  }

  /** The indentation of a new line at the current depth. */
  private pad(depth = this.stack.length): string {
    return this.unit.repeat(depth);
  }

  /** Separator, newline and key before the next member of the innermost container. */
  private member(key: string | undefined): void {
    const top = this.stack.at(-1);
    if (!top) return;
    this.sink.write(top.first ? '\n' : ',\n');
    top.first = false;
    this.sink.write(this.pad());
    if (key !== undefined) this.sink.write(`${JSON.stringify(key)}: `);
  }

  /** Opens an object, as the next array element or as member `key` of the enclosing object. */
  beginObject(key?: string): void {
    this.member(key);
    this.sink.write('{');
    this.stack.push({ first: true, close: '}' });
  }

  /** Opens an array, as the next array element or as member `key` of the enclosing object. */
  beginArray(key?: string): void {
    this.member(key);
    this.sink.write('[');
    this.stack.push({ first: true, close: ']' });
  }

  /** Closes the innermost object or array. */
  end(): void {
    const top = this.stack.pop();
    if (!top) throw new Error('PrettyJsonWriter.end() without an open container');
    this.sink.write(top.first ? top.close : `\n${this.pad()}${top.close}`);
  }

  /** Writes a complete value (an array element, or member `key`), pretty-printed at the current depth. */
  value(value: unknown, key?: string): void {
    this.member(key);
    const text = JSON.stringify(value, null, this.unit.length);
    this.sink.write(this.stack.length > 0 ? text.replaceAll('\n', `\n${this.pad()}`) : text);
  }

  /** Ends the document with a newline; every container must be closed. */
  finish(): void {
    if (this.stack.length > 0) throw new Error(`PrettyJsonWriter.finish() with ${this.stack.length} open containers`);
    this.sink.write('\n');
  }
}
