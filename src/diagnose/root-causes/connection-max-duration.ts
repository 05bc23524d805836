// connection-max-duration: a maximum duration ends long-lived connections on the way of WebSocket-capable routes.
// `max_stream_duration` (connection manager or cluster HttpProtocolOptions, RouteAction.max_stream_duration) resets a
// stream independent of any other timeout (envoyproxy/data-plane-api envoy/config/core/v3/protocol.proto), counting
// `downstream_rq_max_duration_reached` / `upstream_rq_max_duration_reached`; `max_connection_duration` drains the
// connection (`*_cx_max_duration_reached`) and, as the lab measured on Envoy 1.36.2 and 1.40.0
// (lab/scenarios/connection-max-duration.ts), never ends an open upgraded session. Evidence, strongest first: upgraded
// sessions that ended with flag DT or UMSDR (a cluster's max_stream_duration) or at a configured maximum stream
// duration (access log), streams reset at their maximum duration during the window, connections that reached
// max_connection_duration. The fix lifts the limit where it is set: the connection manager's (raised to a day), the
// route's (0s, which lifts the connection manager's for that route), the cluster's (raised to a day).

import { explanationType } from '../../model/catalogue-entry.ts';
import { CLUSTER_STATS, HTTP_STATS } from '../../model/envoy-stats.ts';
import type { EvidenceValue, EntityRef, Explanation, Finding, FixChange } from '../../model/finding.ts';
import type { Route, Snapshot } from '../../model/snapshot.ts';
import { webSocketManagers } from '../../model/topology.ts';
import { checksFor } from './stream-idle-timeout.ts';
import { type Diagnosed, defineRootCause, evidenceOf, explain, scoring } from '../root-cause.ts';

/** Explanation `upgraded-sessions-end-at-max-duration`. */
const UPGRADED_SESSIONS_END_AT_MAX_DURATION = explanationType<{
  count: EvidenceValue;
  flag: EvidenceValue;
  lowMs: EvidenceValue;
  highMs: EvidenceValue;
  medianMs: EvidenceValue;
  timerMs: EvidenceValue;
}>()(
  'upgraded-sessions-end-at-max-duration',
  '{count} {count|upgraded session|upgraded sessions} ended with flag {flag} between {lowMs} and {highMs} (median {medianMs}), at the configured maximum duration of {timerMs}',
);

/** Explanation `streams-reset-at-max-duration`. */
const STREAMS_RESET_AT_MAX_DURATION = explanationType<{
  rqMaxDurationReached: EvidenceValue;
  maxStreamDurationMs: EvidenceValue;
  upgradesTotal: EvidenceValue;
}>()(
  'streams-reset-at-max-duration',
  '{rqMaxDurationReached} {rqMaxDurationReached|stream was|streams were} reset at their maximum duration ({maxStreamDurationMs}) where WebSockets are served ({upgradesTotal} {upgradesTotal|upgrade|upgrades}): max_stream_duration ends an upgraded session however busy it is',
);

/** Explanation `connections-drained-at-max-duration`. */
const CONNECTIONS_DRAINED_AT_MAX_DURATION = explanationType<{ cxMaxDurationReached: EvidenceValue; maxConnectionDurationMs: EvidenceValue }>()(
  'connections-drained-at-max-duration',
  '{cxMaxDurationReached} {cxMaxDurationReached|connection|connections} reached max_connection_duration ({maxConnectionDurationMs}) and were drained: no new streams on them, closed once their streams end',
);

/** The maximum stream duration proposed where one resets WebSockets: a day, so a session reconnects at most daily. */
const PROPOSED_MAX_STREAM_MS = 86_400_000;

/** Timer ids (src/model/timers.ts) that are a maximum duration. */
const DURATION_TIMERS = new Set(['hcm-max-stream-duration', 'route-max-stream-duration', 'cluster-max-stream-duration']);

/** Flags of sessions a maximum duration ended: DT, and UMSDR for a cluster's max_stream_duration (measured by the lab). */
const DURATION_FLAGS = new Set(['DT', 'UMSDR']);

/** A limit below a day, which the fix raises or lifts. */
function belowADay(ms: number | undefined): boolean {
  return ms !== undefined && ms > 0 && ms < PROPOSED_MAX_STREAM_MS;
}

function num(f: Finding | undefined, key: string): number | undefined {
  const v = f?.evidence[key];
  return typeof v === 'number' ? v : undefined;
}

/** The score, the findings it rests on and what it explains. */
function weigh(bands: Finding[], resets: Finding[], reached: Finding[]): { score: number; evidence: Finding[]; explains: Explanation[] } {
  const evidence: Finding[] = [];
  const explains: Explanation[] = [];
  let score = 0;
  for (const band of bands) {
    evidence.push(band);
    explains.push(explain(UPGRADED_SESSIONS_END_AT_MAX_DURATION, evidenceOf(band, ['count', 'flag', 'lowMs', 'highMs', 'medianMs', 'timerMs'])));
  }
  if (bands.length > 0) score += resets.length > 0 ? 0.3 : 0.55;
  if (bands.some((b) => DURATION_TIMERS.has(String(b.evidence.timer)))) score += 0.1;
  for (const f of resets) {
    evidence.push(f);
    explains.push(
      explain(STREAMS_RESET_AT_MAX_DURATION, {
        rqMaxDurationReached: num(f, 'rqMaxDurationReached') ?? null,
        maxStreamDurationMs: num(f, 'maxStreamDurationMs') ?? null,
        upgradesTotal: num(f, 'upgradesTotal') ?? null,
      }),
    );
  }
  if (resets.length > 0) {
    score += 0.5;
    if (resets.some((f) => (num(f, 'windowRqMaxDurationReached') ?? 0) > 0)) score += 0.1;
  }
  // Connections that reached max_connection_duration drain, and close once their streams end: supporting evidence.
  for (const f of reached.filter((x) => !resets.includes(x) && (num(x, 'cxMaxDurationReached') ?? 0) > 0)) {
    evidence.push(f);
    score += 0.05;
    explains.push(
      explain(CONNECTIONS_DRAINED_AT_MAX_DURATION, {
        cxMaxDurationReached: num(f, 'cxMaxDurationReached') ?? null,
        maxConnectionDurationMs: num(f, 'maxConnectionDurationMs') ?? null,
      }),
    );
  }
  return { score, evidence, explains };
}

/** The entities the evidence places the root cause on, the clusters behind them, and the routes with a limit of their own. */
function placed(s: Snapshot, evidence: Finding[], resets: Finding[]): { entities: EntityRef[]; clusters: string[]; limitedRoutes: Route[] } {
  const entities: EntityRef[] = [];
  const clusters: string[] = [];
  const managers = webSocketManagers(s);
  const add = (e: EntityRef) => {
    if (!entities.some((x) => x.kind === e.kind && x.name === e.name)) entities.push(e);
  };
  for (const f of evidence) {
    if (f.code === 'upgraded-sessions-end-together') {
      add({ kind: 'route', name: f.entity.name });
      clusters.push(...(s.routes.find((r) => r.name === f.entity.name)?.clusters ?? []));
    } else {
      add(f.entity);
      if (f.entity.kind === 'cluster') clusters.push(f.entity.name);
      const m = f.entity.kind === 'connection-manager' ? managers.get(f.entity.name) : undefined;
      if (m) {
        for (const l of m.listeners) add({ kind: 'listener', name: l });
        clusters.push(...m.routes.flatMap((r) => r.clusters));
      }
    }
  }
  // Routes of the resetting connection managers that set a max_stream_duration of their own.
  const limitedRoutes = [
    ...new Set(
      resets
        .filter((f) => f.entity.kind === 'connection-manager')
        .flatMap((f) => managers.get(f.entity.name)?.routes ?? [])
        .filter((r) => belowADay(r.maxStreamDurationMs)),
    ),
  ];
  for (const r of limitedRoutes) add({ kind: 'route', name: r.name });
  return { entities, clusters, limitedRoutes };
}

/** The limits to lift: removing a cluster's max_connection_duration, raising max_stream_duration to a day. */
function changesFor(s: Snapshot, entities: EntityRef[], resets: Finding[], limitedRoutes: Route[]): FixChange[] {
  const managers = webSocketManagers(s);
  // Lifting a limit is removing it (renderers say so where a value cannot express "none").
  return [
    ...entities
      .filter((e) => e.kind === 'cluster' && (s.clusters.get(e.name)?.maxConnectionDurationMs ?? 0) > 0)
      .map((e): FixChange => ({ kind: 'cluster-max-connection-duration', cluster: e.name, ms: 0 })),
    // A cluster's max_stream_duration resets upstream streams, upgraded ones included: raised to a day.
    ...resets
      .filter((f) => f.entity.kind === 'cluster' && belowADay(s.clusters.get(f.entity.name)?.maxStreamDurationMs))
      .map((f): FixChange => ({ kind: 'cluster-max-stream-duration', cluster: f.entity.name, ms: PROPOSED_MAX_STREAM_MS })),
    // A route's own max_stream_duration: 0s lifts the limit for that route (route_components.proto MaxStreamDuration).
    ...limitedRoutes.map((r): FixChange => ({ kind: 'route-max-stream-duration', route: r.name, ms: 0 })),
    // A connection manager's max_stream_duration resets upgraded streams: raise it to a day on the listeners
    // holding it (a zero would not lift it: Envoy reads any set value as a limit).
    ...resets
      .filter(
        (f) =>
          f.entity.kind === 'connection-manager' && (num(f, 'maxStreamDurationMs') ?? 0) > 0 && (num(f, 'maxStreamDurationMs') ?? 0) < PROPOSED_MAX_STREAM_MS,
      )
      .flatMap((f) => managers.get(f.entity.name)?.listeners ?? [])
      .map((listener): FixChange => ({ kind: 'listener-max-stream-duration', listener, ms: PROPOSED_MAX_STREAM_MS })),
  ];
}

export const rootCause = defineRootCause({
  id: 'connection-max-duration',
  title: 'Maximum connection or stream duration ends long-lived connections',
  message:
    'a maximum stream duration (max_stream_duration) resets upgraded sessions at a fixed age however busy they are; max_connection_duration drains their connections',
  uses: ['max-duration-reached', 'upgraded-sessions-end-together'],
  explanations: [UPGRADED_SESSIONS_END_AT_MAX_DURATION, STREAMS_RESET_AT_MAX_DURATION, CONNECTIONS_DRAINED_AT_MAX_DURATION],
  verify: [
    { scope: 'cluster', stat: CLUSTER_STATS.cxMaxDurationReached, expect: 'stops-growing' },
    { scope: 'cluster', stat: CLUSTER_STATS.rqMaxDurationReached, expect: 'stops-growing' },
    { scope: 'connection-manager', stat: HTTP_STATS.cxMaxDurationReached, expect: 'stops-growing' },
    { scope: 'connection-manager', stat: HTTP_STATS.rqMaxDurationReached, expect: 'stops-growing' },
  ],
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    const reached = findings.filter((f) => f.code === 'max-duration-reached');
    const resets = reached.filter((f) => f.severity !== 'info');
    const bands = findings.filter(
      (f) => f.code === 'upgraded-sessions-end-together' && (DURATION_FLAGS.has(String(f.evidence.flag)) || DURATION_TIMERS.has(String(f.evidence.timer))),
    );
    if (resets.length === 0 && bands.length === 0) return [];

    const { score, evidence, explains } = weigh(bands, resets, reached);
    const { entities, clusters, limitedRoutes } = placed(s, evidence, resets);
    return [
      {
        id: 'connection-max-duration',
        ...scoring(s, score),
        entities,
        evidence,
        explains,
        checks: checksFor(s, clusters, 'connection-max-duration'),
        changes: changesFor(s, entities, resets, limitedRoutes),
      },
    ];
  },
});
