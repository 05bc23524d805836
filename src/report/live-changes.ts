// What a rendered fix changes against the live object it was computed from (issue: show the diff as well as the
// whole object to apply): plain Envoy fixes carry `merged.diff` against the config dump's resource, Kubernetes
// fixes `liveDiff` against the live object they patch or copy. Reporters list the changes, path by path.

import type { RenderedFix } from '../model/finding.ts';

/** One changed leaf: its JSON pointer, the live value and the value after the fix (absent: none). */
interface LiveChange {
  path: string;
  before?: string;
  after?: string;
}

/** The changes a fix makes to a live object, and which object. */
interface LiveChanges {
  /** The live object, e.g. `listener home/eg/https` or `ClientTrafficPolicy home/eg`. */
  against: string;
  changes: LiveChange[];
}

/** The longest value shown; longer ones end in `…` (the YAML above has them whole). */
const MAX_VALUE = 60;

function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** The live changes of a fix, or undefined when it was not computed against a live object. */
export function liveChanges(fix: Pick<RenderedFix, 'merged' | 'liveDiff'>): LiveChanges | undefined {
  const source = fix.merged
    ? { against: `${fix.merged.kind} ${fix.merged.name}`, diff: fix.merged.diff }
    : fix.liveDiff
      ? { against: fix.liveDiff.object, diff: fix.liveDiff.changes }
      : undefined;
  if (!source || source.diff.length === 0) return undefined;
  return {
    against: source.against,
    changes: source.diff.map((d) => ({
      path: d.path,
      ...('before' in d && d.before !== undefined ? { before: shown(d.before) } : {}),
      ...('after' in d && d.after !== undefined ? { after: shown(d.after) } : {}),
    })),
  };
}

/** A change as one line: `/path: before → after`, `/path: (new) after`, `/path: before (removed)`. */
export function changeLine(c: LiveChange): string {
  if (c.before === undefined) return `${c.path}: (new) ${c.after ?? ''}`;
  if (c.after === undefined) return `${c.path}: ${c.before} (removed)`;
  return `${c.path}: ${c.before} → ${c.after}`;
}
