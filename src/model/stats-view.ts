// Reading stats from a snapshot: the latest value, and with two samples the change between them.
// A missing stat is `undefined` (unknown), never zero.

import type { Snapshot, StatsSample } from './snapshot.ts';

/** The entity families stats are keyed by. */
export type StatScope = 'cluster' | 'http' | 'listener' | 'tcp';

/** Folds a stat tail to the key stats are kept by (`circuit_breakers.default.cx_open` to `circuit_breakers_default_cx_open`), the same whatever the input format. */
export function statKey(tail: string): string {
  return tail.includes('.') ? tail.replace(/\./g, '_') : tail;
}

/** The per-entity stats of one family in a sample. */
export function entityStats(sample: StatsSample, scope: StatScope): Map<string, Map<string, number>> {
  switch (scope) {
    case 'cluster':
      return sample.clusters;
    case 'http':
      return sample.connectionManagers;
    case 'listener':
      return sample.listeners;
    case 'tcp':
      return sample.tcpProxies;
  }
}

/** A stat's value in one sample, or undefined when the sample lacks it. */
export function statIn(sample: StatsSample | undefined, scope: StatScope, entity: string, stat: string): number | undefined {
  const v = sample ? entityStats(sample, scope).get(entity)?.get(stat) : undefined;
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/** The most recent sample of a snapshot. */
export function latestSample(s: Snapshot): StatsSample | undefined {
  return s.statsLater ?? s.stats;
}

/** A stat's latest value. */
export function stat(s: Snapshot, scope: StatScope, entity: string, name: string): number | undefined {
  return statIn(latestSample(s), scope, entity, name);
}

/** A counter's increase between the two samples; undefined with one sample or when either lacks it. */
export function delta(s: Snapshot, scope: StatScope, entity: string, name: string): number | undefined {
  if (!s.stats || !s.statsLater) return undefined;
  const before = statIn(s.stats, scope, entity, name);
  const after = statIn(s.statsLater, scope, entity, name);
  if (before === undefined || after === undefined) return undefined;
  return after - before;
}

/** The seconds between the two samples, when a change over them was measured (`window` is that change). */
export function windowSeconds(s: Snapshot, window: number | undefined): number | undefined {
  return window !== undefined ? s.intervalSeconds : undefined;
}

/** A per-user-agent connection manager stat's latest value. */
export function userAgentStat(s: Snapshot, prefix: string, agent: string, name: string): number | undefined {
  const v = latestSample(s)?.userAgents.get(prefix)?.get(agent)?.get(name);
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}
