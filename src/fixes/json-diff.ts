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
export function diffJson(before: unknown, after: unknown, at = ''): FieldChange[] {
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => {
      const path = `${at}${pointer(k)}`;
      if (!(k in after)) return [{ path, before: before[k] }];
      if (!(k in before)) return [{ path, after: after[k] }];
      return diffJson(before[k], after[k], path);
    });
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const out: FieldChange[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const path = `${at}${pointer(i)}`;
      if (i >= after.length) out.push({ path, before: before[i] });
      else if (i >= before.length) out.push({ path, after: after[i] });
      else out.push(...diffJson(before[i], after[i], path));
    }
    return out;
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ path: at, before, after }];
}
