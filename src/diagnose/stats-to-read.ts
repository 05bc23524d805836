// Every stat the diagnosis reads, derived from the declarations: the stats each analyzer's meta says it reads and
// the stats the root causes' verify checks name. cli hands the result to the live /stats filter and to the parsers,
// which keep only these stats of a sample.

import { STATS_READ } from '../analyzers/index.ts';
import type { StatsRead } from '../model/envoy-stats.ts';
import { type NeededStats, neededStatsOf } from '../model/needed-stats.ts';
import { ROOT_CAUSES } from './root-causes/index.ts';

/** The stats the verify checks read, as one declaration. */
function verifyStats(): StatsRead {
  const cluster: NonNullable<StatsRead['cluster']>[number][] = [];
  const http: NonNullable<StatsRead['http']>[number][] = [];
  for (const r of ROOT_CAUSES) {
    for (const c of r.verify) {
      if (!('stat' in c)) continue;
      if (c.scope === 'cluster') cluster.push(c.stat, ...(c.other ? [c.other] : []));
      else http.push(c.stat, ...(c.other ? [c.other] : []));
    }
  }
  return { cluster, http };
}

/** Every stat the analyzers and the verify checks read. */
export function neededStats(): NeededStats {
  return neededStatsOf([...STATS_READ, verifyStats()]);
}
