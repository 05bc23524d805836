// Whether the stats samples can be read at all. Envoy names its stats as docs/root/operations/admin.rst describes
// (`/stats`, `/stats?format=json`, `/stats/prometheus`); a sample none of whose values is a stat of a cluster,
// connection manager, listener or TCP proxy (envoy/upstream/stats.h, source/common/http/conn_manager_config.h,
// source/server/listener_stats.h) was not understood, and every stats-based root cause is then unknown: say so
// rather than report "no root cause". Two samples whose counters ran backwards (src/parse/counters-reset.ts: a
// restart between them or swapped files) are reported with what decreased; the proxy is diagnosed from the later one.

import type { Finding } from '../model/finding.ts';
import type { Snapshot, StatsSample } from '../model/snapshot.ts';
import { CORE_STATS } from '../model/needed-stats.ts';
import { entityStats } from '../model/stats-view.ts';
import { type AnalyzerMeta, finding } from './analyzer.ts';

export const meta: AnalyzerMeta = {
  id: 'stats-samples',
  title: 'Stats samples that were not understood or that ran backwards',
  reads: ['stats', 'stats-later'],
  emits: ['stats-not-recognised', 'stats-counters-reset'],
  docs: 'docs/analyzers/stats-samples.md',
};

/** Entities of every family in the sample, and how many of them have a stat every Envoy publishes. */
function recognition(sample: StatsSample): { entities: number; recognised: number } {
  let entities = 0;
  let recognised = 0;
  for (const { scope, names } of CORE_STATS) {
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
  const samples: Array<[string | undefined, StatsSample | undefined]> = s.countersReset ? [[s.inputs.statsLater, s.stats]] : [[s.inputs.stats, s.stats], [s.inputs.statsLater, s.statsLater]];
  for (const [input, sample] of samples) {
    if (!sample) continue;
    const { entities, recognised } = recognition(sample);
    if (recognised > 0) continue;
    findings.push(finding(s, 'stats-not-recognised', 'warning', proxy, { sample: input ?? 'stats', format: sample.format, values: sample.count, entities }));
  }
  const reset = s.countersReset;
  if (reset) {
    findings.push(
      finding(s, 'stats-counters-reset', 'warning', proxy, {
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
