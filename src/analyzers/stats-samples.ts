// Whether the stats samples can be read at all. Envoy names its stats as docs/root/operations/admin.rst describes
// (`/stats`, `/stats?format=json`, `/stats/prometheus`); a sample none of whose values is a stat of a cluster,
// connection manager, listener or TCP proxy (envoy/upstream/stats.h, source/common/http/conn_manager_config.h,
// source/server/listener_stats.h) was not understood, and every stats-based root cause is then unknown: say so
// rather than report "no root cause". Two samples whose counters ran backwards (src/parse/counters-reset.ts: a
// restart between them or swapped files) are reported with what decreased; the proxy is diagnosed from the later one.

import { findingType } from '../model/catalogue-entry.ts';
import { CLUSTER_STATS, HTTP_STATS, LISTENER_STATS, SERVER_STATS, type StatsRead, TCP_STATS } from '../model/envoy-stats.ts';
import type { Finding } from '../model/finding.ts';
import type { Snapshot, StatsSample } from '../model/snapshot.ts';
import { entityStats, type StatScope } from '../model/stats-view.ts';
import { defineAnalyzer, finding } from './analyzer.ts';

/** Evidence of a stats sample none of whose values is a stat of an entity. */
interface StatsNotRecognised {
  sample: string;
  format: StatsSample['format'];
  values: number;
  entities: number;
}

/** Evidence of counters that ran backwards between the two samples. */
interface StatsCountersReset {
  decreased: number;
  compared: number;
  entities: number;
  example: string;
  exampleBefore: number;
  exampleAfter: number;
  uptimeBefore?: number;
  uptimeAfter?: number;
  restarted?: boolean;
}

/** A stats sample that was not understood. */
const STATS_NOT_RECOGNISED = findingType<StatsNotRecognised>()(
  'stats-not-recognised',
  'Stats that were not understood',
  '{values} {values|value|values} read from {sample} ({format}), and none is a stat of a cluster, connection manager, listener or TCP proxy ({entities} {entities|entity|entities} named): every root cause that needs stats is unknown, not ruled out',
);

/** Two stats samples whose counters run backwards. */
const STATS_COUNTERS_RESET = findingType<StatsCountersReset>()(
  'stats-counters-reset',
  'Stats samples that run backwards',
  '{decreased} of {compared} {compared|counter|counters} on {entities} {entities|entity|entities} {decreased|is|are} lower in the later sample ({example}: {exampleBefore}, then {exampleAfter}[?; server.uptime {uptimeBefore}, then {uptimeAfter}]): Envoy restarted between the samples or the files were swapped, so the proxy is diagnosed from the later sample alone',
);

/** Stats every Envoy publishes for each entity of a family (when not filtered away): one of them means the sample was understood. */
const CORE_STATS = {
  cluster: [
    CLUSTER_STATS.cxTotal,
    CLUSTER_STATS.cxActive,
    CLUSTER_STATS.rqTotal,
    CLUSTER_STATS.rqActive,
    CLUSTER_STATS.cxDestroy,
    CLUSTER_STATS.membershipTotal,
    CLUSTER_STATS.flowControlPausedReading,
  ],
  http: [HTTP_STATS.cxTotal, HTTP_STATS.cxActive, HTTP_STATS.rqTotal, HTTP_STATS.rqActive, HTTP_STATS.cxDestroy],
  listener: [LISTENER_STATS.cxTotal, LISTENER_STATS.cxActive, LISTENER_STATS.cxDestroy],
  tcp: [TCP_STATS.cxTotal, TCP_STATS.idleTimeout, TCP_STATS.upstreamFlushTotal],
} as const satisfies Record<StatScope, readonly string[]> & StatsRead;

export const meta = defineAnalyzer({
  id: 'stats-samples',
  title: 'Stats samples that were not understood or that ran backwards',
  reads: ['stats', 'stats-later'],
  // The core stats, and server.uptime, which tells a restart between the samples (src/parse/counters-reset.ts).
  stats: { ...CORE_STATS, server: [SERVER_STATS.uptime] },
  findings: [STATS_NOT_RECOGNISED, STATS_COUNTERS_RESET],
});

/** The core stats, per family. */
const CORE_BY_SCOPE = (Object.entries(CORE_STATS) as [StatScope, readonly string[]][]).map(([scope, names]) => ({ scope, names: new Set(names) }));

/** Entities of every family in the sample, and how many of them have a stat every Envoy publishes. */
function recognition(sample: StatsSample): { entities: number; recognised: number } {
  let entities = 0;
  let recognised = 0;
  for (const { scope, names } of CORE_BY_SCOPE) {
    for (const stats of entityStats(sample, scope).values()) {
      entities++;
      for (const name of stats.keys()) {
        if (names.has(name)) {
          recognised++;
          break;
        }
      }
    }
  }
  return { entities, recognised };
}

export function analyze(s: Snapshot): Finding[] {
  const proxy = { kind: 'proxy' as const, name: s.id };
  const findings: Finding[] = [];
  // After a reset `stats` is the later sample, the second one given.
  const samples: Array<[string | undefined, StatsSample | undefined]> = s.countersReset
    ? [[s.inputs.statsLater, s.stats]]
    : [
        [s.inputs.stats, s.stats],
        [s.inputs.statsLater, s.statsLater],
      ];
  for (const [input, sample] of samples) {
    if (!sample) continue;
    const { entities, recognised } = recognition(sample);
    if (recognised > 0) continue;
    findings.push(finding(s, STATS_NOT_RECOGNISED, 'warning', proxy, { sample: input ?? 'stats', format: sample.format, values: sample.count, entities }));
  }
  const reset = s.countersReset;
  if (reset) {
    findings.push(
      finding(s, STATS_COUNTERS_RESET, 'warning', proxy, {
        decreased: reset.decreased,
        compared: reset.compared,
        entities: reset.entities,
        example: reset.example.name,
        exampleBefore: reset.example.before,
        exampleAfter: reset.example.after,
        uptimeBefore: reset.uptimeBefore,
        uptimeAfter: reset.uptimeAfter,
        restarted: reset.uptimeBefore !== undefined && reset.uptimeAfter !== undefined ? reset.uptimeAfter < reset.uptimeBefore : undefined,
      }),
    );
  }
  return findings;
}
