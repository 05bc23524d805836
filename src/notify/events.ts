// What to tell a sink, as a pure function of what it was told before, this run's diagnosis and the time:
// `opened` when a root cause appears, `changed` when its severity changes, `reminder` when it is still there
// `renotify` after it was last posted, `resolved` once when it is gone. Findings without a root cause are never
// posted. The state entry an event leaves behind is part of the event, so only posted events advance the state.

import { type EntityRef, type RootCause, type Severity, severityRank } from '../model/finding.ts';
import type { NotCollected, Snapshot } from '../model/snapshot.ts';
import { fingerprint, scopeOf, scopeOfSnapshot, sortedEntities } from './fingerprint.ts';

/** The kinds of event a sink receives. */
export type EventKind = 'opened' | 'changed' | 'reminder' | 'resolved';

/** What a sink was last told about one root cause. */
export interface StateEntry {
  /** Root-cause catalogue id. */
  rootCause: string;
  severity: Severity;
  scope: string | null;
  entities: EntityRef[];
  /** When it was first posted (ISO 8601). */
  openedAt: string;
  /** When it was last posted (ISO 8601). */
  notifiedAt: string;
}

/** One sink's state: entries by fingerprint. */
export type SinkState = Record<string, StateEntry>;

/** One root cause as this run sees it, with the root causes that share its fingerprint (pods without an owner). */
interface Subject {
  fingerprint: string;
  id: string;
  severity: Severity;
  scope: string | null;
  entities: EntityRef[];
  rootCauses: RootCause[];
}

/** One message to post, and the state entry it leaves behind once posted. */
export interface NotifyEvent {
  kind: EventKind;
  fingerprint: string;
  /** Root-cause catalogue id. */
  id: string;
  severity: Severity;
  /** The severity last posted, for `changed`; else null. */
  previousSeverity: Severity | null;
  scope: string | null;
  entities: EntityRef[];
  openedAt: string;
  /** The root causes of this run the event is about; empty for `resolved`. */
  rootCauses: RootCause[];
  /** The entry after the post; null removes it. */
  next: StateEntry | null;
}

/** What `eventsFor` needs from a diagnosis. */
export interface DiagnosisView {
  snapshots: Pick<Snapshot, 'id' | 'owner' | 'namespace'>[];
  rootCauses: RootCause[];
  notCollected: NotCollected[];
}

/** Groups a diagnosis's root causes by fingerprint, in report order; a group takes its most severe member's severity. */
export function subjectsOf(d: Pick<DiagnosisView, 'snapshots' | 'rootCauses'>): Subject[] {
  const byFingerprint = new Map<string, Subject>();
  for (const r of d.rootCauses) {
    const scope = scopeOf(r, d.snapshots);
    const fp = fingerprint({ id: r.id, scope, entities: r.entities });
    const existing = byFingerprint.get(fp);
    if (existing) {
      existing.rootCauses.push(r);
      if (severityRank(r.severity) > severityRank(existing.severity)) existing.severity = r.severity;
    } else {
      const entities = sortedEntities(r.entities);
      byFingerprint.set(fp, { fingerprint: fp, id: r.id, severity: r.severity, scope, entities, rootCauses: [r] });
    }
  }
  return [...byFingerprint.values()];
}

/**
 * Whether a root cause absent from this run is gone: the run diagnosed at least one proxy, and either every proxy
 * was collected or the root cause's owner (or namespace) was among those diagnosed. A proxy that could not be read
 * resolves nothing.
 */
function resolvable(entry: StateEntry, d: DiagnosisView): boolean {
  if (d.snapshots.length === 0) return false;
  if (d.notCollected.length === 0) return true;
  return entry.scope !== null && d.snapshots.some((s) => scopeOfSnapshot(s) === entry.scope);
}

/** The events for one sink. `renotifyMs` 0 sends no reminders. */
export function eventsFor(previous: SinkState, d: DiagnosisView, now: Date, renotifyMs: number): NotifyEvent[] {
  const at = now.toISOString();
  const events: NotifyEvent[] = [];
  const current = subjectsOf(d);
  for (const s of current) {
    const before = previous[s.fingerprint];
    const base = { fingerprint: s.fingerprint, id: s.id, severity: s.severity, scope: s.scope, entities: s.entities, rootCauses: s.rootCauses };
    if (!before) {
      events.push({
        ...base,
        kind: 'opened',
        previousSeverity: null,
        openedAt: at,
        next: { rootCause: s.id, severity: s.severity, scope: s.scope, entities: s.entities, openedAt: at, notifiedAt: at },
      });
    } else if (before.severity !== s.severity) {
      events.push({
        ...base,
        kind: 'changed',
        previousSeverity: before.severity,
        openedAt: before.openedAt,
        next: { ...before, severity: s.severity, entities: s.entities, notifiedAt: at },
      });
    } else if (renotifyMs > 0 && now.getTime() - Date.parse(before.notifiedAt) >= renotifyMs) {
      events.push({ ...base, kind: 'reminder', previousSeverity: null, openedAt: before.openedAt, next: { ...before, entities: s.entities, notifiedAt: at } });
    }
  }
  const seen = new Set(current.map((s) => s.fingerprint));
  const gone = Object.entries(previous)
    .filter(([fp, entry]) => !seen.has(fp) && resolvable(entry, d))
    .sort(([a, x], [b, y]) => x.rootCause.localeCompare(y.rootCause) || a.localeCompare(b));
  for (const [fp, entry] of gone) {
    events.push({
      kind: 'resolved',
      fingerprint: fp,
      id: entry.rootCause,
      severity: entry.severity,
      previousSeverity: null,
      scope: entry.scope,
      entities: entry.entities,
      openedAt: entry.openedAt,
      rootCauses: [],
      next: null,
    });
  }
  return events;
}

/** The state after these events were posted (applied in order; others leave their entries as they were). */
export function applyEvents(state: SinkState, posted: Pick<NotifyEvent, 'fingerprint' | 'next'>[]): SinkState {
  const out: SinkState = { ...state };
  for (const e of posted) {
    if (e.next) out[e.fingerprint] = e.next;
    else delete out[e.fingerprint];
  }
  return out;
}
