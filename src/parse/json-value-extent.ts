// Where a JSON string or value ends, found on bytes as chunks arrive, for the streaming scanner (json-stream.ts): only
// string state (an escape split across chunks included), literals and bracket depth are tracked, never the value's
// contents (RFC 8259 grammar).

/** An open object, in a stack of brackets. */
export const OBJ = 0;
/** An open array, in a stack of brackets. */
export const ARR = 1;

/** JSON's whitespace: space, line feed, carriage return and tab. */
export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The end of one value (or of a key's string), scanned chunk by chunk. */
export class ValueExtent {
  /** The previous chunk ended inside a string on a backslash. */
  escaped = false;
  /** The previous chunk ended inside a string of the value. */
  inString = false;
  /** Inside a number, true, false or null, which runs to the next delimiter. */
  literal = false;
  private depth = 0;
  private brackets = new Uint8Array(64);

  /** Starts a value: at its first byte, or (`insideObject`) just after the `{` of an object whose first key was read. */
  begin(insideObject: boolean): void {
    this.depth = insideObject ? 1 : 0;
    this.inString = false;
    this.literal = false;
    if (insideObject) this.brackets[0] = OBJ;
  }

  /**
   * Index of the quote closing a string, or -1 when the chunk ends inside it (`escaped` then tells whether its
   * last byte was an unfinished backslash escape). A byte loop: faster than indexOf on a dump's many short strings.
   */
  stringEnd(buf: Buffer, from: number): number {
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

  /**
   * Scans the value's bytes from `start`: the index just past its end, or -1 when the chunk ends inside it. `fresh`
   * says none of its bytes were read yet; `mismatch` throws for a closing bracket that matches no open one.
   */
  scan(buf: Buffer, start: number, fresh: boolean, mismatch: (at: number, c: number) => never): number {
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
    } else if (this.literal || (depth === 0 && fresh && buf[i] !== 0x22 && buf[i] !== 0x7b && buf[i] !== 0x5b)) {
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
          if (depth === 0 || brackets[--depth] !== (c === 0x7d ? OBJ : ARR)) mismatch(i, c);
          if (depth === 0) {
            done = i + 1;
            break;
          }
        }
      }
    }
    this.depth = depth;
    if (done >= 0) this.literal = false;
    return done;
  }
}
