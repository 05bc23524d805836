// Reading Envoy's proto JSON whether it is printed snake_case (Envoy's admin) or camelCase
// (egctl, protojson defaults). Only field names are translated; map keys and Struct contents are kept.

const camelCache = new Map<string, string>();

/** The lowerCamelCase spelling of a snake_case proto field name. */
export function camelName(snake: string): string {
  let camel = camelCache.get(snake);
  if (camel === undefined) {
    camel = snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    camelCache.set(snake, camel);
  }
  return camel;
}

/** A JSON object as read from a dump. */
export type Obj = Record<string, unknown>;

/** True for a plain JSON object. */
export function isObj(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Field `snake` of `o` in either spelling. */
export function field(o: unknown, snake: string): unknown {
  if (!isObj(o)) return undefined;
  const v = o[snake];
  return v !== undefined ? v : o[camelName(snake)];
}

/** Nested field access: `path(o, 'a', 'b_c')`. */
function path(o: unknown, ...names: string[]): unknown {
  let cur = o;
  for (const n of names) {
    cur = field(cur, n);
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** A field as an object, or undefined. */
export function obj(o: unknown, ...names: string[]): Obj | undefined {
  const v = path(o, ...names);
  return isObj(v) ? v : undefined;
}

/** A field as an array (empty when absent). */
export function arr(o: unknown, ...names: string[]): unknown[] {
  const v = path(o, ...names);
  return Array.isArray(v) ? v : [];
}

/** A field as a string, or undefined. */
export function str(o: unknown, ...names: string[]): string | undefined {
  const v = path(o, ...names);
  return typeof v === 'string' ? v : undefined;
}

/** A numeric field; proto JSON prints 64-bit integers as strings, and wrappers as numbers. */
export function num(o: unknown, ...names: string[]): number | undefined {
  return numberOf(path(o, ...names), true);
}

/** A proto JSON number, string-encoded number or (one level of) wrapper; deeper nesting is not a number. */
function numberOf(v: unknown, unwrap: boolean): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  if (unwrap && isObj(v) && 'value' in v) return numberOf(v.value, false);
  return undefined;
}

/** A boolean field (also accepts BoolValue wrappers). */
export function bool(o: unknown, ...names: string[]): boolean | undefined {
  const v = path(o, ...names);
  if (typeof v === 'boolean') return v;
  if (isObj(v) && typeof v.value === 'boolean') return v.value;
  return undefined;
}

/** The `@type` URL's message name: `type.googleapis.com/envoy.admin.v3.ClustersConfigDump` -> `ClustersConfigDump`. */
export function typeName(o: unknown): string {
  const t = isObj(o) ? o['@type'] : undefined;
  if (typeof t !== 'string') return '';
  const dot = t.lastIndexOf('.');
  return dot >= 0 ? t.slice(dot + 1) : t;
}
