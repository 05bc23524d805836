// The YAML text of a fix object: exactly what the yaml package's `stringify(value, { lineWidth: 0 })` returns (YAML
// 1.2 core schema, block style, sequences in a map indented by two, empty collections as `{}` and `[]`), written
// directly for plain JSON data whose scalars need no decision the package makes beyond the ones mirrored here:
// - strings of printable ASCII, plain unless the package quotes them (an indicator character at the start, `: ` or
//   ` #` inside, a space or `:` at the end, or text the core schema reads as null, a boolean or a number), then
//   double-quoted when they hold no `"`; keys likewise, up to 1000 characters (a longer one becomes an explicit key);
// - finite numbers as JavaScript writes them (`-0` for negative zero), booleans, null;
// - arrays and plain objects (a key whose value is undefined is left out, as the package does), each met once (the
//   package anchors an object met twice).
// Anything else (other characters, strings starting with a document marker `---` or `...`, a quoted string with `"`,
// undefined in an array, other objects, an object met twice) sends the whole value to the package
// (node_modules/yaml/dist/stringify/stringifyString.js plainString, stringifyPair.js, stringifyCollection.js).

import { stringify } from 'yaml';

/** Printable ASCII: the only characters a string on the direct path holds. */
const PRINTABLE = /^[\x20-\x7e]*$/;

/** Strings the package never writes plain (stringifyString.js plainString): indicators, `: `, ` #`, trailing space. */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;

/** Plain text the YAML 1.2 core schema reads as null, a boolean or a number (yaml/dist/schema/core, common/null.js). */
const CORE_NOT_STRING = [
  /^(?:~|[Nn]ull|NULL)?$/,
  /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
  /^0o[0-7]+$/,
  /^[-+]?[0-9]+$/,
  /^0x[0-9a-fA-F]+$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
];

/** The longest key written directly: the package turns a key over 1024 characters into an explicit `? key`. */
const MAX_KEY_LENGTH = 1000;

/** One indentation step. */
const STEP = '  ';

/** The text of a string scalar, plain or double-quoted, or undefined when only the package can say. */
function stringText(s: string): string | undefined {
  if (!PRINTABLE.test(s) || s.startsWith('---') || s.startsWith('...')) return undefined;
  if (!NOT_PLAIN.test(s) && !CORE_NOT_STRING.some((re) => re.test(s))) return s;
  return s.includes('"') ? undefined : JSON.stringify(s);
}

/** The text of a scalar (string, finite number, boolean, null), or undefined when it is not one on the direct path. */
function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return stringText(v);
  if (typeof v === 'number') return Number.isFinite(v) ? (Object.is(v, -0) ? '-0' : String(v)) : undefined;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return v === null ? 'null' : undefined;
}

/** Whether a value is an array or a plain object, the two collections written directly. */
function isCollection(v: unknown): v is object {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return Array.isArray(v) ? proto === Array.prototype : proto === Object.prototype || proto === null;
}

/** Writes block YAML of one value, recording the collections met so that one met twice sends the value back. */
class BlockWriter {
  private readonly seen = new Set<object>();

  /** The text of a collection whose lines after the first start with indent, or undefined off the direct path. */
  collection(v: object, indent: string): string | undefined {
    if (this.seen.has(v)) return undefined;
    this.seen.add(v);
    return Array.isArray(v) ? this.sequence(v, indent) : this.map(v as Record<string, unknown>, indent);
  }

  /** A map: `key: scalar`, `key: {}`, or `key:` with the nested block on the next lines, indented by one step. */
  private map(obj: Record<string, unknown>, indent: string): string | undefined {
    const inner = indent + STEP;
    let out = '';
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      if (v === undefined) continue;
      const k = key.length <= MAX_KEY_LENGTH ? stringText(key) : undefined;
      if (k === undefined) return undefined;
      const value = this.valueAfter(v, inner);
      if (value === undefined) return undefined;
      out += out === '' ? `${k}:${value}` : `\n${indent}${k}:${value}`;
    }
    return out === '' ? '{}' : out;
  }

  /** A sequence: `- item` lines, an item's own lines indented by one step past the sequence's. */
  private sequence(arr: readonly unknown[], indent: string): string | undefined {
    if (arr.length === 0) return '[]';
    const inner = indent + STEP;
    let out = '';
    for (let i = 0; i < arr.length; i++) {
      const item = isCollection(arr[i]) ? this.collection(arr[i] as object, inner) : scalarText(arr[i]);
      if (item === undefined) return undefined;
      out += i === 0 ? `- ${item}` : `\n${indent}- ${item}`;
    }
    return out;
  }

  /** What follows a key's colon: a space and a scalar or an empty collection, or the nested block on the next line. */
  private valueAfter(v: unknown, indent: string): string | undefined {
    if (!isCollection(v)) {
      const s = scalarText(v);
      return s === undefined ? undefined : ` ${s}`;
    }
    const text = this.collection(v, indent);
    if (text === undefined) return undefined;
    return text === '{}' || text === '[]' ? ` ${text}` : `\n${indent}${text}`;
  }
}

/** The YAML text written directly, or undefined when some part of the value is left to the yaml package. */
export function directYamlText(value: unknown): string | undefined {
  const text = isCollection(value) ? new BlockWriter().collection(value, '') : scalarText(value);
  return text === undefined ? undefined : `${text}\n`;
}

/** The YAML text of a fix object, the same as the yaml package's `stringify(value, { lineWidth: 0 })`. */
export function yamlText(value: unknown): string {
  return directYamlText(value) ?? stringify(value, { lineWidth: 0 });
}
