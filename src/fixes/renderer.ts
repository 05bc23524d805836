// The shape of a fix renderer: it turns flavor-independent changes into objects one control plane applies.

import type { Explanation, FixChange, RenderedFix } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';

/** One rendered object and the changes it carries. */
export interface RenderedChangeSet {
  fix: RenderedFix;
  changes: FixChange[];
}

/** A renderer for one flavor. */
export interface FixRenderer {
  flavor: RenderedFix['flavor'];
  /** Renders all of a snapshot's changes, merged per target object so no two outputs conflict. */
  render(snapshot: Snapshot, changes: FixChange[]): RenderedChangeSet[];
}

/** Groups items by a key, keeping first-seen order. */
export function groupBy<T>(items: T[], key: (item: T) => string | undefined): Map<string | undefined, T[]> {
  const out = new Map<string | undefined, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k) ?? [];
    list.push(item);
    out.set(k, list);
  }
  return out;
}

/** Notes without repeats (the same code and values), in first-seen order. */
export function uniqueNotes(notes: readonly Explanation[]): Explanation[] {
  const seen = new Set<string>();
  return notes.filter((n) => {
    const key = JSON.stringify(n);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
