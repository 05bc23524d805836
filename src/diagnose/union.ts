// Lists merged without repeats, as grouped root causes merge their members' entities, explanations, checks and
// changes: equal means equal as JSON. A mesh's group has tens of thousands of items, nearly all different, so an item is
// only stringified when a cheap key says it may repeat one before it.

/** True for a value JSON prints through its `toJSON`, which may print as anything. */
const hasToJson = (v: object): boolean => typeof (v as { toJSON?: unknown }).toJSON === 'function';

/**
 * A key that items equal as JSON always share, cheap to build: the fields JSON prints as a string, number, boolean
 * or null, and the string fields of the objects one level down (an entity's kind and name). Two items with different
 * rough keys differ; two with one rough key are compared as JSON. An item holding a value with `toJSON` gets `?`.
 */
function roughKey(x: unknown): string {
  if (x === null || typeof x !== 'object') return typeof x;
  if (Array.isArray(x) || hasToJson(x)) return '?';
  const o = x as Record<string, unknown>;
  const keys = Object.keys(o);
  let key = '';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const v = o[k];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    if (v === null || typeof v !== 'object') {
      key += `|${k}=${typeof v === 'number' && !Number.isFinite(v) ? null : v}`;
      continue;
    }
    if (hasToJson(v)) return '?';
    key += `|${k}{`;
    if (Array.isArray(v)) continue;
    const inner = v as Record<string, unknown>;
    for (const kk of Object.keys(inner)) {
      const vv = inner[kk];
      if (typeof vv === 'string') key += `${kk}=${vv},`;
      else if (vv !== null && typeof vv === 'object' && hasToJson(vv)) return '?';
    }
  }
  return key;
}

/** Items of both lists without repeats (by value: equal as JSON), first-seen order. */
export function union<T>(lists: readonly (readonly T[])[]): T[] {
  // Items are put in buckets by rough key; only an item whose bucket is taken is stringified. An item already kept
  // (the same object, as root causes share their clusters' checks) is a repeat at once.
  const buckets = new Map<string, { first: T; seen?: Set<string> }>();
  const kept = new Set<T>();
  const out: T[] = [];
  for (const list of lists) {
    for (const x of list) {
      if (kept.has(x)) continue;
      kept.add(x);
      const rough = roughKey(x);
      const bucket = buckets.get(rough);
      if (!bucket) {
        buckets.set(rough, { first: x });
        out.push(x);
        continue;
      }
      bucket.seen ??= new Set([JSON.stringify(bucket.first)]);
      const key = JSON.stringify(x);
      if (bucket.seen.has(key)) continue;
      bucket.seen.add(key);
      out.push(x);
    }
  }
  return out;
}
