// stats-inclusion: stat-name prefixes (`cluster.<stat name>.`, `http.<stat_prefix>.`) added to the proxy's stats
// inclusion list, the bootstrap's `stats_config.stats_matcher.inclusion_list` (api/envoy/config/metrics/v3/stats.proto).
// Every flavor renders one object for all of a proxy's prefixes, with the patterns in effect kept
// (src/fixes/stats-inclusion-list.ts): the bootstrap, Envoy Gateway's EnvoyProxy `telemetry.metrics.matches`, Istio's
// workload annotation `proxy.istio.io/config` `proxyStatsMatcher.inclusionPrefixes`.

import type { FixKind, StatsInclusionPiece } from '../fix-kind.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** Stat-name prefixes (`cluster.<stat name>.`, `http.<stat_prefix>.`) added to the proxy's stats inclusion list. */
    'stats-inclusion': { prefixes: string[] };
  }
}

const piece = (_s: unknown, c: { prefixes: string[] }): StatsInclusionPiece => ({ lands: 'stats-inclusion', prefixes: c.prefixes });

/** Prefixes in the proxy's stats inclusion list, rendered for every flavor. */
export const fixKind: FixKind<'stats-inclusion'> = {
  kind: 'stats-inclusion',
  target: () => ({ kind: 'proxy' }),
  envoy: piece,
  envoyGateway: piece,
  istio: piece,
};
