// Stats the diagnosis reads, declared in the model so that the analyzers that read them, the rules, the parsers
// that keep only these and the live /stats filter share one list: the WebSocket families the stats-coverage
// analyzer checks (NEEDED_FAMILIES), and with the other analyzers' (ALSO_READ), every stat the diagnosis reads
// (neededStats). Analyzers that declare their stats (`meta.stats`) are taken out of these legacy lists.

import type { StatsRead } from './envoy-stats.ts';

/** A family of stats one analyzer reads on WebSocket paths, and the root causes it decides. */
export interface NeededFamily {
  family: string;
  analyzer: string;
  rootCauses: string[];
  /** Stats under `cluster.<stat name>.`, as Envoy names them. */
  cluster: string[];
  /** Stats under `http.<stat_prefix>.`. */
  http: string[];
}

/** The stats the WebSocket analyses need, by family (stat names: envoy/upstream/upstream.h, source/common/http/conn_manager_config.h). */
export const NEEDED_FAMILIES: readonly NeededFamily[] = [
  { family: 'idle-timeout', analyzer: 'idle-timeouts', rootCauses: ['stream-idle-timeout'], cluster: [], http: ['downstream_rq_idle_timeout'] },
];

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
  listener?: readonly string[];
  /** Whole families kept by name prefix (`overload.`), and stats of no entity by full name. */
  prefixes: readonly string[];
}

/** Stats read beyond the WebSocket families `stats-coverage` declares and the verify checks. */
const ALSO_READ: NeededStats = {
  // upstream-keepalive (until the parsers and the live filter take the analyzers' declared stats)
  cluster: ['upstream_cx_destroy_remote', 'upstream_cx_idle_timeout', 'upstream_rq_503', 'upstream_rq_retry', 'upstream_rq_retry_success'],
  http: [],
  userAgent: [],
  tcp: [],
  prefixes: [],
};

function unique(names: Iterable<string>): string[] {
  return [...new Set(names)].sort();
}

/** The stats the legacy lists above name. */
function legacyStats(): NeededStats {
  const cluster = [...ALSO_READ.cluster];
  const http = [...ALSO_READ.http];
  for (const f of NEEDED_FAMILIES) {
    cluster.push(...f.cluster);
    http.push(...f.http);
  }
  return { cluster: unique(cluster), http: unique(http), userAgent: unique(ALSO_READ.userAgent), tcp: unique(ALSO_READ.tcp), prefixes: unique(ALSO_READ.prefixes) };
}

/**
 * Transitional, until cli hands the parsers and the live filter what src/diagnose/needed-stats.ts derives: the stats
 * the analyzers declare, given by their registry (src/analyzers/index.ts) when it loads, so that neededStats(), the
 * default of both, still names every stat the analyzers read.
 */
const DECLARED: StatsRead[] = [];

/** Transitional: the analyzers' declared stats, added to neededStats(). */
export function addDeclaredStats(reads: readonly StatsRead[]): void {
  DECLARED.push(...reads);
}

/** Every stat the diagnosis reads: the legacy lists above and the stats the analyzers declare. */
export function neededStats(): NeededStats {
  return neededStatsOf(DECLARED);
}

/** Every stat a set of declarations reads, as one list per family (server stats kept by their full name). */
export function neededStatsOf(reads: readonly StatsRead[]): NeededStats {
  const legacy = legacyStats();
  return {
    cluster: unique([...legacy.cluster, ...reads.flatMap((r) => r.cluster ?? [])]),
    http: unique([...legacy.http, ...reads.flatMap((r) => r.http ?? [])]),
    userAgent: unique([...legacy.userAgent, ...reads.flatMap((r) => r.userAgent ?? [])]),
    tcp: unique([...legacy.tcp, ...reads.flatMap((r) => r.tcp ?? [])]),
    listener: unique([...(legacy.listener ?? []), ...reads.flatMap((r) => r.listener ?? [])]),
    prefixes: unique([...legacy.prefixes, ...reads.flatMap((r) => [...(r.server ?? []), ...(r.prefixes ?? [])])]),
  };
}
