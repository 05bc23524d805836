// Which stats a sample read from a file keeps: the stats the diagnosis reads (src/diagnose/stats-to-read.ts, handed in)
// and, with two samples, the counters compared for a reset between them; the rest is counted and let go.

import type { NeededStats } from '../model/needed-stats.ts';
import { statKey } from '../model/stats-view.ts';
import { isComparedCounter } from './counters-reset.ts';
import type { KeptStats } from './stats-builder.ts';
import type { StatEntityKind } from './stat-names.ts';

/**
 * The stats a sample read from a file keeps (StatsBuilder): every stat the diagnosis reads (`needed`, the same the
 * live filter asks Envoy for), and with `counters` (two
 * samples) every counter the comparison for a reset between them reads. A giant proxy's other stats (response codes,
 * membership, most histograms) are counted and let go.
 */
export function keptStats(counters: boolean, needed: NeededStats): KeptStats {
  const keys = (names: readonly string[]) => names.map(statKey);
  const sets: Record<StatEntityKind, Set<string>> = {
    cluster: new Set(keys(needed.cluster)),
    http: new Set(keys(needed.http)),
    listener: new Set(keys(needed.listener)),
    tcp: new Set(keys(needed.tcp)),
  };
  const userAgent = new Set(keys(needed.userAgent));
  // Decided once per distinct key of each kind: a giant sample asks for the same few hundred keys millions of times.
  const decided: Record<StatEntityKind, Map<string, boolean>> = { cluster: new Map(), http: new Map(), listener: new Map(), tcp: new Map() };
  return {
    has(kind, key) {
      const memo = decided[kind];
      let keep = memo.get(key);
      if (keep === undefined) {
        keep = sets[kind].has(key) || (counters && isComparedCounter(key));
        memo.set(key, keep);
      }
      return keep;
    },
    hasUserAgent: (key) => userAgent.has(key),
  };
}
