// What a fix changes in a live object: the leaves that differ between two JSON values, as JSON pointers (RFC 6901).
// Used for plain Envoy resources and Kubernetes objects alike.

import { isObj, pointer } from './envoy-spelling.ts';

/** One difference between the live object and the merged one. */
interface FieldChange {
  /** JSON pointer into the object. */
  path: string;
  /** The live value; absent when the field is new. */
  before?: unknown;
  /** The merged value; absent when the field was removed. */
  after?: unknown;
}

/** The leaves that differ between two JSON values, as JSON pointers (arrays compared by index). */
export function diffJson(before: unknown, after: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  diffInto(before, after, [], out);
  return out;
}

/**
 * Adds the differences under `parts` to `out`. A path is written only for a difference found, and a value identical on
 * both sides (the same number or string, or the same object) is not walked: merged objects are mostly the live ones.
 */
function diffInto(before: unknown, after: unknown, parts: Array<string | number>, out: FieldChange[]): void {
  if (before === after) return;
  if (isObj(before) && isObj(after)) {
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (!(k in after)) out.push({ path: pointer(...parts, k), before: before[k] });
      else if (!(k in before)) out.push({ path: pointer(...parts, k), after: after[k] });
      else {
        parts.push(k);
        diffInto(before[k], after[k], parts, out);
        parts.pop();
      }
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      if (i >= after.length) out.push({ path: pointer(...parts, i), before: before[i] });
      else if (i >= before.length) out.push({ path: pointer(...parts, i), after: after[i] });
      else {
        parts.push(i);
        diffInto(before[i], after[i], parts, out);
        parts.pop();
      }
    }
    return;
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return;
  out.push({ path: pointer(...parts), before, after });
}
