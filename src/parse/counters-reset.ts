// Two stats samples whose counters run backwards. Envoy's counters only grow while the process lives
// (envoy/stats/stats.h `Counter`; docs/root/operations/admin.rst `/stats`); a restart between the samples starts
// them again from zero, and files swapped by hand make every one of them fall. Either way the change between the
// samples means nothing, so the earlier sample is set aside and the proxy is diagnosed from the later one alone.
// Which stats are counters: the names of envoy/upstream/stats.h, source/common/http/conn_manager_config.h,
// source/server/listener_stats.h and the tcp_proxy stats (docs/root/configuration/listeners/network_filters/
// tcp_proxy_filter.rst); gauges (`*_active`, `*_buffered`, `circuit_breakers.*`) may fall and are not compared.

import { SERVER_STATS } from '../model/envoy-stats.ts';
import type { CountersReset, StatsSample } from '../model/snapshot.ts';
import { entityStats, type StatScope } from '../model/stats-view.ts';

/** Envoy counter names of the entity families (what grows only): totals, closes, timeouts, overflows, resets, failures. */
const COUNTER = /(_total|_destroy|_destroy_\w+|_active_rq|_timeout|_overflow|_reached|_reset|_fail|_error|_ws_on_non_ws_route)$/;

/** Whether an entity stat (by model key) is a counter the comparison of two samples reads. */
export function isComparedCounter(key: string): boolean {
  return COUNTER.test(key);
}

const SCOPES: ReadonlyArray<{ scope: StatScope; prefix: string }> = [
  { scope: 'cluster', prefix: 'cluster' },
  { scope: 'http', prefix: 'http' },
  { scope: 'listener', prefix: 'listener' },
  { scope: 'tcp', prefix: 'tcp' },
];

/** `server.uptime` as the sample's format names it. */
function uptime(sample: StatsSample): number | undefined {
  return sample.other.get(SERVER_STATS.uptime) ?? sample.other.get('envoy_server_uptime');
}

/** What ran backwards from `earlier` to `later`; undefined when no counter decreased. */
export function countersReset(earlier: StatsSample, later: StatsSample): CountersReset | undefined {
  let decreased = 0;
  let compared = 0;
  let entities = 0;
  let example: CountersReset['example'] | undefined;
  for (const { scope, prefix } of SCOPES) {
    const after = entityStats(later, scope);
    for (const [entity, beforeStats] of entityStats(earlier, scope)) {
      const afterStats = after.get(entity);
      if (afterStats === undefined) continue;
      let entityDecreased = false;
      for (const [name, before] of beforeStats) {
        if (!COUNTER.test(name)) continue;
        const value = afterStats.get(name);
        if (value === undefined || !Number.isFinite(value) || !Number.isFinite(before)) continue;
        compared++;
        if (value >= before) continue;
        decreased++;
        entityDecreased = true;
        example ??= { name: `${prefix}.${entity}.${name}`, before, after: value };
      }
      if (entityDecreased) entities++;
    }
  }
  if (example === undefined) return undefined;
  const reset: CountersReset = { decreased, compared, entities, example };
  const uptimeBefore = uptime(earlier);
  const uptimeAfter = uptime(later);
  if (uptimeBefore !== undefined && uptimeAfter !== undefined) {
    reset.uptimeBefore = uptimeBefore;
    reset.uptimeAfter = uptimeAfter;
  }
  return reset;
}
