// Reading and writing fields of a live Envoy resource in its own spelling: Envoy's admin prints proto JSON in
// snake_case, egctl in camelCase, and Envoy reads both (the proto3 JSON mapping,
// protobuf.dev/programming-guides/json: a field is accepted by its name and its lowerCamelCase JSON name).

/** A JSON object. */
export type Obj = Record<string, unknown>;

/** True for a JSON object (not an array, not null). */
export const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A number, or a string that holds one (proto JSON writes 64-bit integers as strings). */
export const asNumber = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;

/** lowerCamelCase names already spelled: the fields fixes read and write are few, and spelled again for every object. */
const CAMEL = new Map<string, string>();

const camel = (snake: string): string => {
  let spelled = CAMEL.get(snake);
  if (spelled === undefined) {
    spelled = snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    if (CAMEL.size < 4096) CAMEL.set(snake, spelled);
  }
  return spelled;
};

/** A JSON pointer (RFC 6901) from its parts. */
export function pointer(...parts: Array<string | number>): string {
  return parts.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** Reads and writes proto JSON fields in whichever spelling the live resource uses. */
export class Spelling {
  readonly camelCase: boolean;

  constructor(root: Obj) {
    const keys = Object.keys(root).filter((k) => k !== '@type');
    this.camelCase = !keys.some((k) => k.includes('_')) && keys.some((k) => /[a-z][A-Z]/.test(k));
  }

  /** The key a field has in `o`: the one present, else the resource's spelling. */
  key(o: Obj, snake: string): string {
    if (snake in o) return snake;
    const c = camel(snake);
    if (c in o) return c;
    return this.camelCase ? c : snake;
  }

  get(o: Obj, snake: string): unknown {
    return o[this.key(o, snake)];
  }

  set(o: Obj, snake: string, value: unknown): void {
    o[this.key(o, snake)] = value;
  }

  has(o: Obj, snake: string): boolean {
    return snake in o || camel(snake) in o;
  }

  delete(o: Obj, snake: string): void {
    delete o[snake];
    delete o[camel(snake)];
  }

  /** The object at a field, created when absent. */
  child(o: Obj, snake: string): Obj {
    const k = this.key(o, snake);
    const v = o[k];
    if (isObj(v)) return v;
    const created: Obj = {};
    o[k] = created;
    return created;
  }

  /** Writes `value` with its field names in the resource's spelling (map keys such as `@type` never contain `_`). */
  spell(value: unknown): unknown {
    if (!this.camelCase) return value;
    if (Array.isArray(value)) return value.map((v) => this.spell(v));
    if (!isObj(value)) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.includes('.') ? k : camel(k), this.spell(v)]));
  }
}
