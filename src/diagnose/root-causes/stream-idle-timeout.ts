// stream-idle-timeout: the connection manager's `stream_idle_timeout` (default 5 min) or a route `idle_timeout` resets
// upgraded streams that stay quiet in both directions for that long (envoyproxy/data-plane-api
// http_connection_manager.proto `stream_idle_timeout`; route_components.proto `RouteAction.idle_timeout`). Evidence,
// strongest first: upgraded sessions that ended with flag SI, or at the configured idle timeout (access log), and
// `downstream_rq_idle_timeout` rising during the window on a connection manager serving WebSockets.

import { explanationType } from '../../model/catalogue-entry.ts';
import { HTTP_STATS } from '../../model/envoy-stats.ts';
import type { EvidenceValue, EntityRef, Explanation, Finding, FixChange, HypothesisCheck } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { managersForCluster, webSocketManagers } from '../../model/topology.ts';
import { longLivedStreamChecks } from '../hypotheses.ts';
import { type Diagnosed, defineRootCause, explain, scoring } from '../root-cause.ts';

/** Explanation `idle-timeout-ends-quiet-streams`. */
const IDLE_TIMEOUT_ENDS_QUIET_STREAMS = explanationType<{ idleTimeouts: EvidenceValue; effectiveIdleTimeoutMs: EvidenceValue; upgradesTotal: EvidenceValue }>()(
  'idle-timeout-ends-quiet-streams',
  '{idleTimeouts} {idleTimeouts|stream was|streams were} reset by the stream idle timeout ({effectiveIdleTimeoutMs}) on a connection manager serving WebSockets ({upgradesTotal} {upgradesTotal|upgrade|upgrades}): a WebSocket quiet in both directions for that long is reset with flag SI',
);

/** Explanation `stream-idle-timeouts-in-window`. */
const STREAM_IDLE_TIMEOUTS_IN_WINDOW = explanationType<{ windowIdleTimeouts: EvidenceValue; windowSeconds: EvidenceValue }>()(
  'stream-idle-timeouts-in-window',
  '{windowIdleTimeouts} {windowIdleTimeouts|stream idle timeout|stream idle timeouts} in {windowSeconds}: quiet streams are being reset now',
);

/** Explanation `upgraded-sessions-end-at-idle-timeout`. */
const UPGRADED_SESSIONS_END_AT_IDLE_TIMEOUT = explanationType<{
  count: EvidenceValue;
  flag: EvidenceValue;
  lowMs: EvidenceValue;
  highMs: EvidenceValue;
  medianMs: EvidenceValue;
  timerMs: EvidenceValue;
}>()(
  'upgraded-sessions-end-at-idle-timeout',
  '{count} {count|upgraded session|upgraded sessions} ended with flag {flag} between {lowMs} and {highMs} (median {medianMs}), at the stream idle timeout of {timerMs}',
);

/** Stream idle timeout proposed for long-lived streams: one hour. */
const PROPOSED_STREAM_IDLE_TIMEOUT_MS = 3_600_000;

/** Timer ids (src/model/timers.ts) that are a stream idle timeout. */
const IDLE_TIMERS = new Set(['stream-idle-timeout', 'route-idle-timeout', 'envoy-stream-idle-timeout']);

function num(f: Finding | undefined, key: string): number | undefined {
  const v = f?.evidence[key];
  return typeof v === 'number' ? v : undefined;
}

/** An upgraded-sessions band a stream idle timeout explains: flag SI, or a matched idle timer. */
function isIdleBand(f: Finding): boolean {
  return f.code === 'upgraded-sessions-end-together' && (f.evidence.flag === 'SI' || IDLE_TIMERS.has(String(f.evidence.timer)));
}

const VERDICT_RANK: Record<HypothesisCheck['verdict'], number> = { possible: 2, unknown: 1, 'ruled-out': 0 };

/**
 * The competing hypotheses for the clusters behind some routes, without this root cause's own: one check per
 * hypothesis, the least settled one across the clusters (possible, then unknown, then ruled out).
 */
export function checksFor(s: Snapshot, clusterNames: Iterable<string>, own: string): HypothesisCheck[] {
  const byHypothesis = new Map<string, HypothesisCheck>();
  for (const name of new Set(clusterNames)) {
    const cluster = s.clusters.get(name);
    if (!cluster) continue;
    for (const c of longLivedStreamChecks(s, cluster, managersForCluster(s, cluster.name))) {
      if (c.hypothesis === own) continue;
      const seen = byHypothesis.get(c.hypothesis);
      if (!seen || VERDICT_RANK[c.verdict] > VERDICT_RANK[seen.verdict]) byHypothesis.set(c.hypothesis, c);
    }
  }
  return [...byHypothesis.values()];
}

export const rootCause = defineRootCause({
  id: 'stream-idle-timeout',
  title: 'Stream idle timeout ends quiet long-lived streams',
  message:
    'WebSockets that stay quiet in both directions longer than the stream idle timeout (stream_idle_timeout, default 5 min, or the route idle_timeout) are reset by Envoy with flag SI',
  uses: ['stream-idle-timeouts-fired', 'upgraded-sessions-end-together'],
  explanations: [IDLE_TIMEOUT_ENDS_QUIET_STREAMS, STREAM_IDLE_TIMEOUTS_IN_WINDOW, UPGRADED_SESSIONS_END_AT_IDLE_TIMEOUT],
  verify: [
    { scope: 'connection-manager', stat: HTTP_STATS.rqIdleTimeout, expect: 'stops-growing' },
    { scope: 'connection-manager', setting: 'stream_idle_timeout above the longest quiet period of the WebSockets (or 0s)', expect: 'present' },
    { scope: 'route', setting: 'route idle_timeout shorter than the WebSockets stay quiet', expect: 'absent' },
  ],
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    const out: Diagnosed[] = [];
    const bands = findings.filter(isIdleBand);
    // Looked up by connection manager, indexed once: a mesh has thousands of managers and tens of thousands of findings.
    const reduced = new Set(findings.filter((f) => f.code === 'overload-idle-timeouts-reduced').map((f) => f.entity.name));
    const firedOn = new Map<string, Finding>();
    for (const f of findings) if (f.code === 'stream-idle-timeouts-fired' && !firedOn.has(f.entity.name)) firedOn.set(f.entity.name, f);
    for (const [prefix, { routes, listeners, connectionManager }] of webSocketManagers(s)) {
      // Idle timeouts the overload manager shortened (reduce_timeouts) are overload-manager-shedding's: not this timer's.
      if (reduced.has(prefix)) continue;
      const fired = firedOn.get(prefix);
      const routeNames = new Set(routes.map((r) => r.name));
      const here = bands.filter((b) => routeNames.has(b.entity.name));
      const counting = fired !== undefined && fired.severity !== 'info';
      if (!counting && here.length === 0) continue;

      const evidence: Finding[] = [];
      const explains: Explanation[] = [];
      let score = 0;
      if (fired && counting) {
        score += 0.5;
        evidence.push(fired);
        explains.push(
          explain(IDLE_TIMEOUT_ENDS_QUIET_STREAMS, {
            idleTimeouts: num(fired, 'idleTimeouts') ?? null,
            effectiveIdleTimeoutMs: num(fired, 'effectiveIdleTimeoutMs') ?? null,
            upgradesTotal: num(fired, 'upgradesTotal') ?? null,
          }),
        );
        const window = num(fired, 'windowIdleTimeouts');
        if (window !== undefined && window > 0) {
          score += 0.1;
          explains.push(explain(STREAM_IDLE_TIMEOUTS_IN_WINDOW, { windowIdleTimeouts: window, windowSeconds: fired.evidence.windowSeconds ?? null }));
        }
      }
      for (const band of here) {
        evidence.push(band);
        const effective = band.evidence.timerMs ?? num(fired, 'effectiveIdleTimeoutMs') ?? connectionManager.streamIdleTimeoutMs.value;
        explains.push(
          explain(UPGRADED_SESSIONS_END_AT_IDLE_TIMEOUT, {
            count: band.evidence.count ?? null,
            flag: band.evidence.flag ?? null,
            lowMs: band.evidence.lowMs ?? null,
            highMs: band.evidence.highMs ?? null,
            medianMs: band.evidence.medianMs ?? null,
            timerMs: effective,
          }),
        );
      }
      if (here.length > 0) {
        score += counting ? 0.3 : 0.55;
        if (here.some((b) => IDLE_TIMERS.has(String(b.evidence.timer)))) score += 0.1;
      }

      const entities: EntityRef[] = [{ kind: 'connection-manager', name: prefix }, ...listeners.map((name) => ({ kind: 'listener' as const, name }))];
      for (const route of routes) {
        if (route.idleTimeoutMs !== undefined && route.idleTimeoutMs > 0) entities.push({ kind: 'route', name: route.name });
      }
      const routesNamed = new Set(entities.flatMap((e) => (e.kind === 'route' ? [e.name] : [])));
      for (const b of here) {
        if (routesNamed.has(b.entity.name)) continue;
        routesNamed.add(b.entity.name);
        entities.push({ kind: 'route', name: b.entity.name });
      }
      out.push({
        id: 'stream-idle-timeout',
        ...scoring(s, score),
        entities,
        evidence,
        explains,
        checks: checksFor(
          s,
          routes.flatMap((r) => r.clusters),
          'stream-idle-timeout',
        ),
        // One hour outlasts application heartbeats while still ending streams whose peers vanished (with keepalive).
        changes: entities.flatMap((e): FixChange[] =>
          e.kind === 'listener'
            ? [{ kind: 'listener-stream-idle-timeout', listener: e.name, ms: PROPOSED_STREAM_IDLE_TIMEOUT_MS }]
            : e.kind === 'route'
              ? [{ kind: 'route-idle-timeout', route: e.name, ms: PROPOSED_STREAM_IDLE_TIMEOUT_MS }]
              : [],
        ),
      });
    }
    return out;
  },
});
