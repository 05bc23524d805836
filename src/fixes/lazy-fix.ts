// A rendered fix whose costly part is computed when it is first read. A mesh's root causes carry tens of thousands
// of fix objects (one per cluster, route or policy they change), and their YAML, their merge into the live resource
// and their diff against it took most of a diagnosis; the table prints two per flavor and root cause. What a fix is
// and where it lands (flavor, target, apply, format) is known once the changes are grouped into objects, so the
// number of objects and their flavors never need the rest. The first read of any other field (text, notes, merged,
// liveDiff, its keys, JSON.stringify) renders the whole fix once; it is then a plain object behind the proxy.
// Until then a fix holds its snapshot, its changes and what its renderer needs to render it again (no pieces, no
// closures): its body is computed from them, and must not depend on other fixes having been rendered.

import type { Explanation, FixChange, RenderedFix } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';

/** What a fix is and where it lands: known as soon as its changes are grouped. */
type FixHead = Pick<RenderedFix, 'flavor' | 'target' | 'apply' | 'format'>;

/** The part that costs: the text, the notes, and the live object merged or compared. */
export type FixBody = Omit<RenderedFix, keyof FixHead>;

/** Renders a fix's body from its snapshot, the changes that land in it and what its renderer kept when grouping them. */
type RenderBody<X> = (s: Snapshot, changes: readonly FixChange[], extra: X) => FixBody;

/** Notes a fix gets after its own, from its snapshot and changes (what applying it costs). */
type MoreNotes = (s: Snapshot, changes: readonly FixChange[]) => Explanation[];

/** A fix not read yet, and once read, the fix. */
interface Pending {
  head: FixHead;
  render: RenderBody<unknown> | undefined;
  s: Snapshot | undefined;
  changes: readonly FixChange[];
  extra: unknown;
  more: MoreNotes | undefined;
  fix: RenderedFix | undefined;
}

const HEAD_KEYS: ReadonlySet<PropertyKey> = new Set(['flavor', 'target', 'apply', 'format']);

/** A pending fix rendered from what it holds. */
function rendered(p: Pending): RenderedFix {
  const s = p.s as Snapshot;
  const body = (p.render as RenderBody<unknown>)(s, p.changes, p.extra);
  if (p.more) body.notes.push(...p.more(s, p.changes));
  // The key order of an eager literal: head fields, then text, notes, merged, liveDiff.
  return { ...p.head, ...body };
}

/** The fix behind a proxy, rendered on first use; what it was rendered from is let go (the snapshot with it). */
function whole(p: Pending): RenderedFix {
  if (p.fix === undefined) {
    p.fix = rendered(p);
    p.render = undefined;
    p.s = undefined;
    p.extra = undefined;
    p.more = undefined;
  }
  return p.fix;
}

/** Every operation but reading a head field goes to the rendered fix, so a lazy fix reads and prints as the plain one. */
const HANDLER: ProxyHandler<Pending> = {
  get: (p, key) => (HEAD_KEYS.has(key) && p.fix === undefined ? p.head[key as keyof FixHead] : Reflect.get(whole(p), key)),
  set: (p, key, value) => Reflect.set(whole(p), key, value),
  has: (p, key) => Reflect.has(whole(p), key),
  ownKeys: (p) => Reflect.ownKeys(whole(p)),
  getOwnPropertyDescriptor: (p, key) => {
    const d = Reflect.getOwnPropertyDescriptor(whole(p), key);
    // A proxy may only report a property its target lacks as configurable.
    return d ? { ...d, configurable: true } : undefined;
  },
  defineProperty: (p, key, d) => Reflect.defineProperty(whole(p), key, d),
  deleteProperty: (p, key) => Reflect.deleteProperty(whole(p), key),
};

const PENDING = new WeakMap<object, Pending>();

/** A fix with its head now and its body when first read: `render(s, changes, extra)`. */
export function lazyFix<X>(head: FixHead, render: RenderBody<X>, s: Snapshot, changes: readonly FixChange[], extra: X): RenderedFix {
  const pending: Pending = { head, render: render as RenderBody<unknown>, s, changes, extra, more: undefined, fix: undefined };
  const fix = new Proxy(pending, HANDLER) as unknown as RenderedFix;
  PENDING.set(fix, pending);
  return fix;
}

/** Adds `more(s, changes)` after a fix's own notes: at once to a plain or rendered fix, else when it is rendered. */
export function appendNotes(fix: RenderedFix, more: MoreNotes, s: Snapshot, changes: readonly FixChange[]): void {
  const pending = PENDING.get(fix);
  if (pending === undefined || pending.fix !== undefined) {
    fix.notes.push(...more(s, changes));
    return;
  }
  const before = pending.more;
  // The usual case holds no closure: the notes come from the fix's own snapshot and changes.
  if (before === undefined && s === pending.s && changes === pending.changes) pending.more = more;
  else pending.more = (ps, pc) => [...(before ? before(ps, pc) : []), ...more(s, changes)];
}

/**
 * The fix as a report that writes it once reads it: rendered and not kept when it was not read yet, so a report of
 * every fix (`-o json`) holds one rendered fix at a time. A later read renders it again, the same.
 */
export function fixReadOnce(fix: RenderedFix): RenderedFix {
  const pending = PENDING.get(fix);
  return pending === undefined || pending.fix !== undefined ? fix : rendered(pending);
}
