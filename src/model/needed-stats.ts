// The stats the diagnosis reads, as the live /stats filter and the parsers take them: one list per entity family.
// They are derived from the analyzers' and root causes' declarations (src/diagnose/stats-to-read.ts); cli hands
// them to collect, which asks Envoy for them and keeps only them of a sample read from a file.

import type { StatsRead } from './envoy-stats.ts';

/** Stats read per entity family, as Envoy names them after the entity (`circuit_breakers.default.cx_open`). */
export interface NeededStats {
  /** `cluster.<stat name>.<stat>` */
  cluster: readonly string[];
  /** `http.<stat_prefix>.<stat>` */
  http: readonly string[];
  /** `http.<stat_prefix>.user_agent.<agent>.<stat>` */
  userAgent: readonly string[];
  /** `tcp.<stat_prefix>.<stat>` */
  tcp: readonly string[];
  /** `listener.<address>.<stat>` */
  listener: readonly string[];
  /** Whole families kept by name prefix (`overload.`), and stats of no entity by full name. */
  prefixes: readonly string[];
}

function unique(names: Iterable<string>): string[] {
  return [...new Set(names)].sort();
}

/** Every stat a set of declarations reads, as one list per family (stats of no entity kept by their full name). */
export function neededStatsOf(reads: readonly StatsRead[]): NeededStats {
  return {
    cluster: unique(reads.flatMap((r) => r.cluster ?? [])),
    http: unique(reads.flatMap((r) => r.http ?? [])),
    userAgent: unique(reads.flatMap((r) => r.userAgent ?? [])),
    tcp: unique(reads.flatMap((r) => r.tcp ?? [])),
    listener: unique(reads.flatMap((r) => r.listener ?? [])),
    prefixes: unique(reads.flatMap((r) => [...(r.server ?? []), ...(r.prefixes ?? [])])),
  };
}
