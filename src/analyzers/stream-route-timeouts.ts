// Route timeouts that fire after the response started: streamed responses that are not upgrades (server-sent events,
// gRPC server streams, long downloads) cut at the route timeout. The route `timeout` spans from the end of the
// downstream request to the end of the upstream response, 15 s unless set, 0s disabling it
// (envoy/config/route/v3/route_components.proto RouteAction.timeout; docs/root/faq/configuration/timeouts.rst: "not
// compatible with streaming responses"). The router arms it when the request is complete and only the end of the
// response disarms it (source/common/router/router.cc Filter::onRequestComplete, Filter::onResponseTimeout); when it
// fires after the response headers went downstream, sendLocalReply can only reset the stream
// (source/common/http/filter_manager.cc: "Prior headers have already been sent"). So:
// - the cluster's `upstream_rq_timeout` counts it (for every timeout since Envoy 1.22.0, changelog "router: record
//   upstream request timeouts for all the cases and not just for those requests which are awaiting headers"), but
//   no 504 is charged: a timeout before the response charges `upstream_rq_504` (Filter::chargeUpstreamAbort), one
//   after it does not. Timeouts minus 504s are responses cut mid-stream. Response-code stats are created at their
//   first use, so a cluster that counted 2xx responses and no 504 has answered none with 504.
// - the access log shows the response's own code (200) with flag UT, details `response_timeout`, and the duration
//   at the route timeout (lab/scenarios/route-timeout-on-stream.ts measured 200 UT response_timeout at 1.0 s for
//   text/event-stream over HTTP/1.1 and application/grpc over HTTP/2 on Envoy 1.36.2 and 1.40.0).
// Upgrades are not in it: since 1.36.0 the timer is disarmed on 101 (src/analyzers/upgrade-route-timeouts.ts).

import { windowSeconds } from '../model/stats-view.ts';
import type { AccessLogEntry } from '../model/access-log.ts';
import { findingType } from '../model/catalogue-entry.ts';
import { CLUSTER_STATS, HTTP_STATS } from '../model/envoy-stats.ts';
import type { Finding, Severity } from '../model/finding.ts';
import { routeTimeoutSplit } from '../model/route-timeouts.ts';
import type { Route, Snapshot } from '../model/snapshot.ts';
import { routeByName, servedRoutes, upgradesOn } from '../model/topology.ts';
import { timerTolerance } from '../model/timers.ts';
import { defineAnalyzer, finding } from './analyzer.ts';

/** Evidence of route timeouts counted on a cluster without a 504 for them. */
interface StreamRouteTimeoutsFired {
  cluster: string;
  timeoutMs: number;
  timeoutSource: string;
  upstreamRqTimeout: number;
  upstreamRq504: number;
  afterResponse: number;
  windowAfterResponse?: number;
  windowSeconds?: number;
  upgradesTotal?: number;
}

/** Evidence of access-log entries cut by the route timeout after their response started. */
interface StreamsCutAtRouteTimeout {
  responses: number;
  lowMs: number;
  highMs: number;
  medianMs: number;
  codes: string;
  timeoutMs?: number;
  atTimeout?: number;
  cluster?: string;
  contentTypes?: string;
}

/** Route timeouts that fired after the response had started. */
const STREAM_ROUTE_TIMEOUTS_FIRED = findingType<StreamRouteTimeoutsFired>()(
  'stream-route-timeouts-fired',
  'Route timeouts fire after the response started',
  '{afterResponse} of {upstreamRqTimeout} route {upstreamRqTimeout|timeout|timeouts} on {cluster} fired after the response had started (no 504 was sent for them): responses still streaming at the route timeout of {timeoutMs} ({timeoutSource}) are cut',
);

/** Responses logged with flag UT after their response started. */
const STREAMS_CUT_AT_ROUTE_TIMEOUT = findingType<StreamsCutAtRouteTimeout>()(
  'streams-cut-at-route-timeout',
  'Streamed responses cut by the route timeout',
  '{responses} {responses|response|responses} ({codes}) logged flag UT after the response had started, {lowMs} to {highMs} after the request[? (route timeout {timeoutMs})][?: {contentTypes}]',
);

export const meta = defineAnalyzer({
  id: 'stream-route-timeouts',
  title: 'Route timeouts that cut streamed responses',
  reads: ['config', 'stats', 'stats-later', 'access-log'],
  stats: { cluster: [CLUSTER_STATS.rqTimeout, CLUSTER_STATS.rq504, CLUSTER_STATS.rq2xx], http: [HTTP_STATS.cxUpgradesTotal] },
  findings: [STREAM_ROUTE_TIMEOUTS_FIRED, STREAMS_CUT_AT_ROUTE_TIMEOUT],
});

/** The response code of a route timeout that fires before the response (source/common/router/router.cc timeout_response_code_). */
const TIMEOUT_RESPONSE_CODE = 504;

/** Severity: cuts during the window (or in one sample) warn; cuts that did not move during the window are history. */
function severityOf(window: number | undefined): Severity {
  return window === undefined || window > 0 ? 'warning' : 'info';
}

/** Findings from the stats: per route with a route timeout, its clusters' timeouts that fired after the response. */
function fromStats(s: Snapshot): Finding[] {
  const out: Finding[] = [];
  for (const { route, managers } of servedRoutes(s)) {
    if (route.timeoutMs.value <= 0) continue;
    for (const clusterName of route.clusters) {
      const statName = s.clusters.get(clusterName)?.statName ?? clusterName;
      const split = routeTimeoutSplit(s, statName);
      if (!split || split.afterResponse <= 0) continue;
      out.push(
        finding(
          s,
          STREAM_ROUTE_TIMEOUTS_FIRED,
          severityOf(split.windowAfterResponse),
          { kind: 'route', name: route.name },
          {
            cluster: clusterName,
            timeoutMs: route.timeoutMs.value,
            timeoutSource: route.timeoutMs.source,
            upstreamRqTimeout: split.timeouts,
            upstreamRq504: split.answered504,
            afterResponse: split.afterResponse,
            windowAfterResponse: split.windowAfterResponse,
            windowSeconds: windowSeconds(s, split.windowAfterResponse),
            upgradesTotal: upgradesOn(s, managers),
          },
        ),
      );
    }
  }
  return out;
}

/** True for an entry the route timeout cut after its response started: flag UT on a response that was not the timeout's 504 nor an upgrade. */
export function cutAfterResponse(e: AccessLogEntry): boolean {
  return (
    e.responseFlags.includes('UT') &&
    e.durationMs !== undefined &&
    e.responseCode !== undefined &&
    e.responseCode !== TIMEOUT_RESPONSE_CODE &&
    e.responseCode !== 101 &&
    e.responseCode > 0
  );
}

/** The route an entry was served by: `%ROUTE_NAME%`, else the one timed route to its cluster. */
function routeOf(s: Snapshot, e: AccessLogEntry): { name: string; route?: Route } | undefined {
  if (e.routeName !== undefined) {
    const route = routeByName(s, e.routeName);
    return route ? { name: e.routeName, route } : { name: e.routeName };
  }
  if (e.upstreamCluster === undefined) return undefined;
  const timed = s.routes.filter((r) => r.timeoutMs.value > 0 && r.clusters.includes(e.upstreamCluster as string));
  return timed.length === 1 ? { name: (timed[0] as Route).name, route: timed[0] as Route } : { name: e.upstreamCluster };
}

function median(sorted: readonly number[]): number {
  const mid = (sorted.length - 1) / 2;
  return Math.round(((sorted[Math.floor(mid)] as number) + (sorted[Math.ceil(mid)] as number)) / 2);
}

/** Distinct values, most common first, joined. */
function distinct(values: Iterable<string | undefined>): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts.size > 0
    ? [...counts]
        .sort((a, b) => b[1] - a[1])
        .map(([v]) => v)
        .join(', ')
    : undefined;
}

/** Findings from the access log: per route, the responses the route timeout cut after they started. */
function fromAccessLog(s: Snapshot): Finding[] {
  const byRoute = new Map<string, { route?: Route; entries: AccessLogEntry[] }>();
  for (const e of s.accessLog?.entries ?? []) {
    if (!cutAfterResponse(e)) continue;
    const where = routeOf(s, e);
    if (!where) continue;
    const group = byRoute.get(where.name) ?? { ...(where.route ? { route: where.route } : {}), entries: [] };
    group.entries.push(e);
    byRoute.set(where.name, group);
  }
  return [...byRoute].map(([name, { route, entries }]) => {
    const durations = entries.map((e) => e.durationMs as number).sort((a, b) => a - b);
    const timeoutMs = route && route.timeoutMs.value > 0 ? route.timeoutMs.value : undefined;
    return finding(
      s,
      STREAMS_CUT_AT_ROUTE_TIMEOUT,
      'warning',
      { kind: 'route', name },
      {
        responses: entries.length,
        lowMs: durations[0] as number,
        highMs: durations[durations.length - 1] as number,
        medianMs: median(durations),
        codes: distinct(entries.map((e) => String(e.responseCode))) as string,
        timeoutMs,
        atTimeout: timeoutMs !== undefined ? durations.filter((d) => Math.abs(d - timeoutMs) <= timerTolerance(timeoutMs)).length : undefined,
        cluster: distinct(entries.map((e) => e.upstreamCluster)),
        contentTypes: distinct(entries.map((e) => e.contentType)),
      },
    );
  });
}

export function analyze(s: Snapshot): Finding[] {
  return [...fromStats(s), ...fromAccessLog(s)];
}
