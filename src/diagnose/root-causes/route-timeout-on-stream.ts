// route-timeout-on-stream: server-sent events, gRPC server streams and other streamed responses are ordinary responses,
// not upgrades, so the route `timeout` (15 s unless set; envoy/config/route/v3/route_components.proto
// RouteAction.timeout) runs from the end of the request to the end of the response and cuts every stream still open
// at it: Envoy resets the stream after its 200 went out (source/common/router/router.cc Filter::onResponseTimeout;
// source/common/http/filter_manager.cc "Prior headers have already been sent"). Evidence, strongest first: responses
// logged with their own code and flag UT at the route timeout (access log), and route timeouts counted on the route's
// cluster without a 504 for them (src/analyzers/stream-route-timeouts.ts). The fix turns the route timeout off on the
// streaming route (`timeout: 0s`, Envoy Gateway's HTTPRoute `timeouts.request` or BackendTrafficPolicy
// `timeout.http.requestTimeout`, Istio's VirtualService `timeout`); the stream idle timeout then still ends streams
// quieter than it, which the lab measured for server-sent events too (lab/scenarios/route-timeout-on-stream.ts).

import { explanationType } from '../../model/catalogue-entry.ts';
import { CLUSTER_STATS } from '../../model/envoy-stats.ts';
import type { EntityRef, EvidenceValue, Explanation, Finding, FixChange, HypothesisCheck } from '../../model/finding.ts';
import { routeTimeoutSplit } from '../../model/route-timeouts.ts';
import type { Route, Snapshot } from '../../model/snapshot.ts';
import { managersForRouteConfig } from '../../model/topology.ts';
import { type Diagnosed, defineRootCause, explain, scoring } from '../root-cause.ts';
import { checksFor } from './stream-idle-timeout.ts';

/** Route timeouts on a cluster that fired after the response had started. */
const STREAMS_CUT_AFTER_RESPONSE = explanationType<{
  afterResponse: EvidenceValue;
  upstreamRqTimeout: EvidenceValue;
  cluster: EvidenceValue;
  route: EvidenceValue;
  timeoutMs: EvidenceValue;
}>()(
  'streams-cut-after-response',
  '{afterResponse} of {upstreamRqTimeout} route {upstreamRqTimeout|timeout|timeouts} on {cluster} fired after the response had started, with no 504 for them: responses on {route} still streaming at the route timeout of {timeoutMs} are reset mid-stream',
);

/** Cuts counted during the window. */
const STREAM_CUTS_IN_WINDOW = explanationType<{ windowAfterResponse: EvidenceValue; windowSeconds: EvidenceValue; cluster: EvidenceValue }>()(
  'stream-cuts-in-window',
  '{windowAfterResponse} {windowAfterResponse|stream|streams} cut on {cluster} in {windowSeconds}: streams are being cut now',
);

/** Responses the access log shows cut at the route timeout. */
const STREAMS_LOGGED_CUT = explanationType<{
  responses: EvidenceValue;
  route: EvidenceValue;
  codes: EvidenceValue;
  lowMs: EvidenceValue;
  highMs: EvidenceValue;
  timeoutMs: EvidenceValue;
  contentTypes: EvidenceValue;
}>()(
  'streams-logged-cut-at-route-timeout',
  '{responses} {responses|response|responses} on {route} logged {codes} with flag UT {lowMs} to {highMs} after the request[?, at the route timeout of {timeoutMs}][? ({contentTypes})]: the client got the start of the stream, then a reset',
);

/** The route sets no timeout: Envoy's default applies. */
const DEFAULT_ROUTE_TIMEOUT = explanationType<{ route: EvidenceValue; timeoutMs: EvidenceValue }>()(
  'route-timeout-is-the-default',
  'route {route} sets no timeout, so Envoy applies its default of {timeoutMs} to every response on it, streams included',
);

/** With the route timeout off, the stream idle timeout is what still bounds a stream. */
const IDLE_TIMEOUT_STILL_BOUNDS = explanationType<{ route: EvidenceValue; idleTimeoutMs: EvidenceValue }>()(
  'stream-idle-timeout-still-bounds-streams',
  'with the route timeout off, a stream on {route} quiet for longer than the stream idle timeout ({idleTimeoutMs}) is still reset (flag SI): keep its heartbeat below that',
);

/** The findings it rests on (src/analyzers/stream-route-timeouts.ts). */
const FIRED = 'stream-route-timeouts-fired';
const LOGGED = 'streams-cut-at-route-timeout';

/** A route's stream idle timeout: its own `idle_timeout`, else its connection managers' shortest (0: none). */
function idleTimeoutOf(s: Snapshot, route: Route | undefined): number | undefined {
  if (!route) return undefined;
  if (route.idleTimeoutMs !== undefined) return route.idleTimeoutMs;
  const managers = managersForRouteConfig(s, route.routeConfigName).map((m) => m.connectionManager.streamIdleTimeoutMs.value);
  return managers.length > 0 ? Math.min(...managers) : undefined;
}

/**
 * The upgrade hypothesis, settled by the 504s: a handshake the route timeout fails is answered with 504, so clusters
 * whose timeouts got none rule it out (the generic check sees only `upstream_rq_timeout` and leaves it possible).
 */
function upgradeCheck(s: Snapshot, clusters: readonly string[], generic: HypothesisCheck): HypothesisCheck {
  const splits = clusters.map((name) => routeTimeoutSplit(s, s.clusters.get(name)?.statName ?? name));
  if (splits.length === 0 || splits.some((x) => x === undefined || x.answered504 > 0)) return generic;
  const timeouts = splits.reduce((n, x) => n + (x?.timeouts ?? 0), 0);
  return { ...generic, verdict: 'ruled-out', evidence: { upstreamRqTimeout: timeouts, upstreamRq504: 0 } };
}

const num = (f: Finding, key: string): number | undefined => (typeof f.evidence[key] === 'number' ? (f.evidence[key] as number) : undefined);

/** Score of the stats' evidence: cuts counted, more when they rose during the window. */
function statsScore(fired: Finding[]): number {
  if (fired.length === 0) return 0;
  return fired.some((f) => (num(f, 'windowAfterResponse') ?? 0) > 0) ? 0.75 : 0.6;
}

/** Score of the access log's evidence: cuts logged, more when they end at the route timeout. */
function logScore(logged: Finding[]): number {
  if (logged.length === 0) return 0;
  return logged.some((f) => (num(f, 'atTimeout') ?? 0) > 0) ? 0.8 : 0.6;
}

export const rootCause = defineRootCause({
  id: 'route-timeout-on-stream',
  title: 'Route timeout cuts streamed responses',
  message:
    'the route timeout (default 15 s) runs until the end of the response: server-sent events, gRPC server streams and other streamed responses still open at it are reset mid-stream (flag UT)',
  uses: [FIRED, LOGGED],
  explanations: [STREAMS_CUT_AFTER_RESPONSE, STREAM_CUTS_IN_WINDOW, STREAMS_LOGGED_CUT, DEFAULT_ROUTE_TIMEOUT, IDLE_TIMEOUT_STILL_BOUNDS],
  verify: [
    { scope: 'cluster', stat: CLUSTER_STATS.rqTimeout, expect: 'stops-growing' },
    { scope: 'route', setting: 'route timeout 0s (or longer than the streams last) on the streaming route', expect: 'present' },
  ],
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    const fired = findings.filter((f) => f.code === FIRED && f.severity !== 'info');
    const logged = findings.filter((f) => f.code === LOGGED && f.severity !== 'info');
    if (fired.length === 0 && logged.length === 0) return [];
    const explains: Explanation[] = [];
    for (const f of logged) {
      explains.push(
        explain(STREAMS_LOGGED_CUT, {
          responses: f.evidence.responses ?? null,
          route: f.entity.name,
          codes: f.evidence.codes ?? null,
          lowMs: f.evidence.lowMs ?? null,
          highMs: f.evidence.highMs ?? null,
          timeoutMs: f.evidence.timeoutMs ?? null,
          contentTypes: f.evidence.contentTypes ?? null,
        }),
      );
    }
    for (const f of fired) {
      const values = {
        afterResponse: f.evidence.afterResponse ?? null,
        upstreamRqTimeout: f.evidence.upstreamRqTimeout ?? null,
        cluster: f.evidence.cluster ?? null,
      };
      explains.push(explain(STREAMS_CUT_AFTER_RESPONSE, { ...values, route: f.entity.name, timeoutMs: f.evidence.timeoutMs ?? null }));
      if ((num(f, 'windowAfterResponse') ?? 0) > 0) {
        explains.push(
          explain(STREAM_CUTS_IN_WINDOW, {
            windowAfterResponse: f.evidence.windowAfterResponse ?? null,
            windowSeconds: f.evidence.windowSeconds ?? null,
            cluster: values.cluster,
          }),
        );
      }
    }
    const routes = [...new Set([...logged, ...fired].map((f) => f.entity.name))];
    // The snapshot's routes by name, looked up once: a mesh's streams are cut on thousands of routes.
    const byName = Map.groupBy(s.routes, (r) => r.name);
    const configured = routes.flatMap((name) => (byName.get(name) ?? []).filter((r) => r.timeoutMs.value > 0));
    for (const route of configured) {
      if (route.timeoutMs.source === 'envoy-default') explains.push(explain(DEFAULT_ROUTE_TIMEOUT, { route: route.name, timeoutMs: route.timeoutMs.value }));
      const idle = idleTimeoutOf(s, byName.get(route.name)?.[0]);
      if (idle !== undefined && idle > 0) explains.push(explain(IDLE_TIMEOUT_STILL_BOUNDS, { route: route.name, idleTimeoutMs: idle }));
    }
    const clusters = [
      ...new Set([
        ...configured.flatMap((r) => r.clusters),
        ...[...fired, ...logged].flatMap((f) => (typeof f.evidence.cluster === 'string' && s.clusters.has(f.evidence.cluster) ? [f.evidence.cluster] : [])),
      ]),
    ];
    const statsPart = statsScore(fired);
    const logPart = logScore(logged);
    const score = Math.max(statsPart, logPart) + (statsPart > 0 && logPart > 0 ? 0.1 : 0);
    const entities: EntityRef[] = [
      ...routes.map((name) => ({ kind: 'route' as const, name })),
      ...clusters.map((name) => ({ kind: 'cluster' as const, name })),
    ];
    return [
      {
        id: 'route-timeout-on-stream',
        ...scoring(s, score),
        entities,
        evidence: [...logged, ...fired],
        explains,
        checks: checksFor(s, clusters, 'route-timeout-on-stream').map((c) => (c.hypothesis === 'route-timeout-on-upgrade' ? upgradeCheck(s, clusters, c) : c)),
        // 0s disables the route timeout; the stream idle timeout still bounds quiet streams.
        changes: configured.map((r): FixChange => ({ kind: 'route-timeout', route: r.name, ms: 0 })),
      },
    ];
  },
});
