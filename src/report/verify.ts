// How to tell a fix worked: the verify checks each root-cause module declares ( the stats that should stop
// moving and the settings that should read differently once the fix is applied) filled in with the entities a root
// cause names and the values the last capture read, so the check reads "this counter, now 1,242, rising 9 in 30s,
// should stop growing".

import type { EntityRef, RootCause } from '../model/finding.ts';
import type { SnapshotSummary } from '../diagnose/diagnose.ts';
import { type StatScope, statIn } from '../model/stats-view.ts';
import { verifyChecksOf } from '../diagnose/root-causes/index.ts';
import type { VerifyExpectation } from '../diagnose/root-cause.ts';

/** One check filled in for a root cause: the full stat name, what the capture read, what it should do. */
export interface VerifyStep {
  /** `stat` for counters and gauges, `setting` for configuration. */
  kind: 'stat' | 'setting';
  /** The entity the check is about, or undefined when the root cause names none of that kind. */
  entity?: EntityRef;
  /** Full Envoy stat name (`cluster.<stat_name>.<stat>`, `http.<stat_prefix>.<stat>`), or the setting. */
  subject: string;
  expect: VerifyExpectation;
  /** For `matches`: the full name of the stat it should equal. */
  other?: string;
  /** Latest value read, when the capture had it. */
  now?: number;
  /** For `matches`: the other stat's latest value. */
  otherNow?: number;
  /** Change between the two samples, with the interval in seconds. */
  window?: { change: number; seconds: number };
}

const SCOPES = { cluster: 'cluster', 'connection-manager': 'http' } as const satisfies Record<string, StatScope>;

function statName(scope: 'cluster' | 'connection-manager', entity: string, name: string): string {
  return `${SCOPES[scope]}.${entity}.${name}`;
}

/** The entities a root cause names or rests on, of one kind, in order and without repeats. */
function entitiesOf(r: RootCause, kind: EntityRef['kind']): EntityRef[] {
  const out: EntityRef[] = [];
  for (const e of [...r.entities, ...r.evidence.map((f) => f.entity)]) {
    if (e.kind === kind && !out.some((x) => x.name === e.name)) out.push(e);
  }
  return out;
}

/** A stat's latest value, and its change between the two samples when there are two. */
function reading(s: SnapshotSummary, scope: StatScope, entity: string, name: string): { now?: number; change?: number } {
  const now = statIn(s.statsLater ?? s.stats, scope, entity, name);
  const before = s.statsLater ? statIn(s.stats, scope, entity, name) : undefined;
  const change = now !== undefined && before !== undefined ? now - before : undefined;
  return { ...(now !== undefined ? { now } : {}), ...(change !== undefined ? { change } : {}) };
}

/** The verification steps for a root cause, filled in from its entities and the snapshot's stats. */
export function verifySteps(r: RootCause, snapshot: SnapshotSummary | undefined): VerifyStep[] {
  const steps: VerifyStep[] = [];
  for (const check of verifyChecksOf(r.id) ?? []) {
    const entities = entitiesOf(r, check.scope);
    if (!('stat' in check)) {
      if (entities.length === 0) steps.push({ kind: 'setting', subject: check.setting, expect: check.expect });
      for (const entity of entities) steps.push({ kind: 'setting', entity, subject: check.setting, expect: check.expect });
      continue;
    }
    if (entities.length === 0) {
      const placeholder = check.scope === 'cluster' ? '<stat_name>' : '<stat_prefix>';
      steps.push({
        kind: 'stat',
        subject: statName(check.scope, placeholder, check.stat),
        expect: check.expect,
        ...(check.other ? { other: statName(check.scope, placeholder, check.other) } : {}),
      });
    }
    for (const entity of entities) {
      const scope = SCOPES[check.scope];
      // Cluster stats are published under alt_stat_name when the cluster has one.
      const key = check.scope === 'cluster' ? (snapshot?.clusters.get(entity.name)?.statName ?? entity.name) : entity.name;
      const step: VerifyStep = { kind: 'stat', entity, subject: statName(check.scope, key, check.stat), expect: check.expect };
      if (snapshot) {
        const { now, change } = reading(snapshot, scope, key, check.stat);
        if (now !== undefined) step.now = now;
        if (change !== undefined && snapshot.intervalSeconds !== undefined) step.window = { change, seconds: snapshot.intervalSeconds };
        if (check.other) {
          step.other = statName(check.scope, key, check.other);
          const otherNow = reading(snapshot, scope, key, check.other).now;
          if (otherNow !== undefined) step.otherNow = otherNow;
        }
      } else if (check.other) step.other = statName(check.scope, key, check.other);
      steps.push(step);
    }
  }
  return steps;
}
