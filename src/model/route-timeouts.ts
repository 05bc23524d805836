// A cluster's route timeouts split by whether a 504 was charged for them. The router's Filter::onResponseTimeout
// counts `upstream_rq_timeout` for every upstream request it resets (since Envoy 1.22.0, headers seen or not), but
// charges the timeout's 504 (`upstream_rq_504`, Filter::chargeUpstreamAbort) only while the response has not started
// (envoyproxy/envoy source/common/router/router.cc): timeouts minus 504s are responses cut after they started.
// Response-code stats are created at their first use, so a cluster that counted 2xx responses and no 504 answered
// none with 504. Measured in lab/scenarios/route-timeout-on-stream.ts.

import { CLUSTER_STATS } from './envoy-stats.ts';
import type { Snapshot } from './snapshot.ts';
import { delta, stat, statIn } from './stats-view.ts';

/** A cluster's route timeouts, split into those answered with a 504 and those that cut a started response. */
interface RouteTimeoutSplit {
  timeouts: number;
  answered504: number;
  afterResponse: number;
  /** The same over the window between two samples, when there are two. */
  windowAfterResponse?: number;
}

/** A lazily created counter's value: absent reads as 0 when the sample has the cluster's 2xx counter (codes are exported). */
function codeCount(s: Snapshot, which: 'stats' | 'statsLater', statName: string, name: string): number | undefined {
  const sample = s[which];
  const v = statIn(sample, 'cluster', statName, name);
  if (v !== undefined) return v;
  return statIn(sample, 'cluster', statName, CLUSTER_STATS.rq2xx) !== undefined ? 0 : undefined;
}

/**
 * Splits a cluster's `upstream_rq_timeout` by whether a 504 was charged for it; undefined when the cluster counted no
 * timeout or its response-code stats are not there to tell.
 */
export function routeTimeoutSplit(s: Snapshot, statName: string): RouteTimeoutSplit | undefined {
  const timeouts = stat(s, 'cluster', statName, CLUSTER_STATS.rqTimeout);
  if (timeouts === undefined || timeouts <= 0) return undefined;
  const latest = s.statsLater ? 'statsLater' : 'stats';
  const answered504 = codeCount(s, latest, statName, CLUSTER_STATS.rq504);
  if (answered504 === undefined) return undefined;
  const split: RouteTimeoutSplit = { timeouts, answered504, afterResponse: Math.max(0, timeouts - answered504) };
  const windowTimeouts = delta(s, 'cluster', statName, CLUSTER_STATS.rqTimeout);
  const before504 = s.statsLater ? codeCount(s, 'stats', statName, CLUSTER_STATS.rq504) : undefined;
  if (windowTimeouts !== undefined && before504 !== undefined) split.windowAfterResponse = Math.max(0, windowTimeouts - (answered504 - before504));
  return split;
}
