// overload-manager-shedding: the overload manager sheds long-lived streams. Under memory pressure (a resource
// monitor past a trigger's threshold) stop_accepting_requests refuses new requests, WebSocket upgrades included, with
// 503 `envoy overloaded`, and reduce_timeouts shortens the stream idle timeout towards its floor, so WebSockets
// whose heartbeat is slower than that are reset; at the global downstream connection limit every new connection is
// closed at accept (docs/root/configuration/operations/overload_manager/overload_manager.rst; envoy#41867 for a
// limit that kept refusing). Each open WebSocket holds heap (its connections, and its buffers up to the buffer
// limits when a side reads slowly: flow-control-stall), so the limits must be sized for the WebSockets served.
// Measured by lab/scenarios/overload-manager-shedding.ts (Envoy 1.36.2 and 1.40.0): a fixed_heap maximum of 12 MiB
// with 200 WebSockets refused 66-97 upgrades with 503 and reset every open one 1.0 s after its last frame, against a
// 300 s stream idle timeout; a global limit of 4 refused every fifth client at accept.
// The fix sizes the limit that sheds: the heap monitor's maximum (Envoy Gateway: the proxy container's memory limit,
// of which it makes 80% the maximum), or the global connection limit.

import { explanationType } from '../../model/catalogue-entry.ts';
import { HTTP_STATS } from '../../model/envoy-stats.ts';
import { distinctEntities, type EvidenceValue, type Explanation, type Finding, type FixChange } from '../../model/finding.ts';
import { connectionLimit } from '../../model/overload-config.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { type Diagnosed, defineRootCause, evidenceOf, explain, scoring } from '../root-cause.ts';

const PRESSURE = 'overload-pressure-high';
const REFUSED = 'overload-requests-refused';
const REDUCED = 'overload-idle-timeouts-reduced';
const LIMIT = 'global-connection-limit-reached';
const REJECTED = 'overload-connections-rejected';
/** Findings of load being shed, as opposed to the pressure behind it. */
const EFFECTS = new Set([REFUSED, REDUCED, LIMIT, REJECTED]);

/** Explanation `overload-refuses-upgrades`. */
const OVERLOAD_REFUSES_UPGRADES = explanationType<{
  refused: EvidenceValue;
  connectionManager: string;
  windowRefused: EvidenceValue;
  windowSeconds: EvidenceValue;
}>()(
  'overload-refuses-upgrades',
  '{refused} {refused|request|requests} on {connectionManager} refused with 503 (envoy overloaded) by stop_accepting_requests[?, {windowRefused} in {windowSeconds}]: no new WebSocket opens while the overload manager sheds load',
);

/** Explanation `overload-shortens-idle-streams`. */
const OVERLOAD_SHORTENS_IDLE_STREAMS = explanationType<{
  idleTimeouts: EvidenceValue;
  connectionManager: string;
  streamIdleTimeoutMs: EvidenceValue;
  reducedToMs: EvidenceValue;
  floorMs: EvidenceValue;
}>()(
  'overload-shortens-idle-streams',
  '{idleTimeouts} {idleTimeouts|stream|streams} on {connectionManager} reset by a stream idle timeout that reduce_timeouts cut from {streamIdleTimeoutMs} to {reducedToMs} (its floor is {floorMs}): a WebSocket quiet for longer, between heartbeats too, is reset with flag SI',
);

/** Explanation `overload-pressure-past-threshold`. */
const OVERLOAD_PRESSURE_PAST_THRESHOLD = explanationType<{
  monitor: EvidenceValue;
  pressurePercent: EvidenceValue;
  usedBytes: EvidenceValue;
  maxHeapBytes: EvidenceValue;
  thresholdPercent: EvidenceValue;
  actionsActive: EvidenceValue;
}>()(
  'overload-pressure-past-threshold',
  '{monitor} is at {pressurePercent}% of its maximum[? ({usedBytes} in use of max_heap_size_bytes {maxHeapBytes})], past {thresholdPercent}% where the overload manager starts to shed load: {actionsActive} act now',
);

/** Explanation `overload-memory-in-buffers`. */
const OVERLOAD_MEMORY_IN_BUFFERS = explanationType<{ bufferedBytes: EvidenceValue; usedBytes: EvidenceValue; connectionsActive: EvidenceValue }>()(
  'overload-memory-in-buffers',
  '{bufferedBytes} of the {usedBytes} in use waits in connection buffers ({connectionsActive} client {connectionsActive|connection|connections}): the buffers are the memory, the buffer limits times the connections that fill them, so the heap is sized for them or the limits lowered',
);

/** Explanation `overload-memory-in-connections`. */
const OVERLOAD_MEMORY_IN_CONNECTIONS = explanationType<{ connectionsActive: EvidenceValue; usedBytes: EvidenceValue; bufferedBytes: EvidenceValue }>()(
  'overload-memory-in-connections',
  'only {bufferedBytes} of the {usedBytes} in use waits in connection buffers ({connectionsActive} client {connectionsActive|connection|connections} open): the buffers are not the memory, the connections are (about 47 KiB of heap per WebSocket in the lab), with what the allocator keeps after connections close, so the heap is sized for the WebSockets served',
);

/** Explanation `global-limit-refuses-connections`. */
const GLOBAL_LIMIT_REFUSES_CONNECTIONS = explanationType<{
  overflow: EvidenceValue;
  listener: string;
  windowOverflow: EvidenceValue;
  windowSeconds: EvidenceValue;
  connectionsActive: EvidenceValue;
  limit: EvidenceValue;
  limitSource: EvidenceValue;
}>()(
  'global-limit-refuses-connections',
  '{overflow} {overflow|connection|connections} on listener {listener} closed at accept[?, {windowOverflow} in {windowSeconds}]: {connectionsActive} client {connectionsActive|connection|connections} open against the global downstream connection limit of {limit} ({limitSource}), and each WebSocket holds its connection for its whole life',
);

/** Explanation `overload-rejects-connections`. */
const OVERLOAD_REJECTS_CONNECTIONS = explanationType<{ rejected: EvidenceValue; listener: string; by: EvidenceValue }>()(
  'overload-rejects-connections',
  '{rejected} {rejected|connection|connections} on listener {listener} closed at accept by {by}',
);

/** Of the heap in use, the share in connection buffers from which the buffers, not the connections, are the memory. */
const BUFFERED_SHARE = 0.25;

const MIB = 1_048_576;

/**
 * The heap monitor's maximum to propose: the heap in use fits under the lowest trigger threshold twice over (the load
 * can double before the overload manager starts to act), in whole MiB.
 */
export function proposedMaxHeap(usedBytes: number, thresholdPercent: number): number {
  return Math.ceil((2 * usedBytes) / (thresholdPercent / 100) / MIB) * MIB;
}

/**
 * The global connection limit to propose: twice what the clients wanted, the connections open plus those refused
 * in the window (each a client that wanted in), and at least twice the limit.
 */
export function proposedConnectionLimit(limit: number, connectionsActive: number, refused: number): number {
  return 2 * Math.max(limit, connectionsActive + refused);
}

function num(f: Finding | undefined, key: string): number | undefined {
  const v = f?.evidence[key];
  return typeof v === 'number' ? v : undefined;
}

/** The explanation of one effect finding. */
function effectExplanation(f: Finding): Explanation {
  switch (f.code) {
    case REFUSED:
      return explain(OVERLOAD_REFUSES_UPGRADES, { connectionManager: f.entity.name, ...evidenceOf(f, ['refused', 'windowRefused', 'windowSeconds']) });
    case REDUCED:
      return explain(OVERLOAD_SHORTENS_IDLE_STREAMS, {
        connectionManager: f.entity.name,
        ...evidenceOf(f, ['idleTimeouts', 'streamIdleTimeoutMs', 'reducedToMs', 'floorMs']),
      });
    case LIMIT:
      return explain(GLOBAL_LIMIT_REFUSES_CONNECTIONS, {
        listener: f.entity.name,
        ...evidenceOf(f, ['overflow', 'windowOverflow', 'windowSeconds', 'connectionsActive', 'limit', 'limitSource']),
      });
    default:
      return explain(OVERLOAD_REJECTS_CONNECTIONS, { listener: f.entity.name, ...evidenceOf(f, ['rejected', 'by']) });
  }
}

/** What holds the heap, when the pressure finding measured it. */
function memoryExplanation(p: Finding): Explanation | undefined {
  const used = num(p, 'usedBytes');
  const buffered = num(p, 'bufferedBytes');
  const connections = num(p, 'connectionsActive');
  // With no connection open (the load gone, the heap not yet given back) nothing says what held it.
  if (used === undefined || buffered === undefined || connections === undefined || connections === 0) return undefined;
  const values = evidenceOf(p, ['bufferedBytes', 'usedBytes', 'connectionsActive']);
  return buffered >= BUFFERED_SHARE * used ? explain(OVERLOAD_MEMORY_IN_BUFFERS, values) : explain(OVERLOAD_MEMORY_IN_CONNECTIONS, values);
}

/** A listener of the proxy to find its Gateway by (Envoy Gateway's EnvoyProxy): the first an effect names, else the first. */
function proxyListener(s: Snapshot, effects: Finding[]): string | undefined {
  const named = effects.find((f) => f.entity.kind === 'listener')?.entity.name;
  if (named) return named;
  const managers = new Set(effects.filter((f) => f.entity.kind === 'connection-manager').map((f) => f.entity.name));
  return (s.listeners.find((l) => l.filterChains.some((c) => c.connectionManager && managers.has(c.connectionManager.statPrefix))) ?? s.listeners[0])?.name;
}

/** The limits to size: the heap monitor's maximum where it is past its threshold, the connection limit where it refuses. */
function changesFor(s: Snapshot, effects: Finding[], pressure: Finding[]): FixChange[] {
  const listener = proxyListener(s, effects);
  if (listener === undefined) return [];
  const out: FixChange[] = [];
  const heap = pressure.find((p) => p.evidence.monitor === 'fixed_heap');
  const used = num(heap, 'usedBytes');
  const threshold = num(heap, 'thresholdPercent');
  if (used !== undefined && threshold !== undefined && threshold > 0)
    out.push({ kind: 'overload-max-heap', listener, bytes: proposedMaxHeap(used, threshold) });
  const limits = effects.filter((f) => f.code === LIMIT);
  const current = connectionLimit(s.overloadManager);
  if (limits.length > 0 && current) {
    const refused = limits.reduce((a, f) => a + (num(f, 'windowOverflow') ?? num(f, 'overflow') ?? 0), 0);
    const active = num(limits[0], 'connectionsActive') ?? current.limit;
    out.push({ kind: 'overload-connection-limit', listener, connections: proposedConnectionLimit(current.limit, active, refused) });
  }
  return out;
}

export const rootCause = defineRootCause({
  id: 'overload-manager-shedding',
  title: 'The overload manager sheds long-lived connections',
  message:
    'the overload manager sheds load: past its thresholds it refuses new requests and WebSocket upgrades with 503 (stop_accepting_requests), shortens the stream idle timeout so quiet WebSockets are reset (reduce_timeouts), or at the global downstream connection limit closes new connections at accept; every open WebSocket holds memory and a connection, so the limits must be sized for them',
  uses: [PRESSURE, REFUSED, REDUCED, LIMIT, REJECTED],
  explanations: [
    OVERLOAD_REFUSES_UPGRADES,
    OVERLOAD_SHORTENS_IDLE_STREAMS,
    OVERLOAD_PRESSURE_PAST_THRESHOLD,
    OVERLOAD_MEMORY_IN_BUFFERS,
    OVERLOAD_MEMORY_IN_CONNECTIONS,
    GLOBAL_LIMIT_REFUSES_CONNECTIONS,
    OVERLOAD_REJECTS_CONNECTIONS,
  ],
  verify: [
    { scope: 'connection-manager', stat: HTTP_STATS.rqOverloadClose, expect: 'stops-growing' },
    { scope: 'proxy', setting: 'overload.<monitor>.pressure below the lowest trigger threshold of the overload manager', expect: 'present' },
    { scope: 'listener', setting: 'downstream_global_cx_overflow growing (the global downstream connection limit refusing connections)', expect: 'absent' },
  ],
  noFixFor: {
    istio:
      "Istio has no field for the heap monitor's maximum: a fixed_heap monitor comes from a custom bootstrap (the ConfigMap the pod annotation sidecar.istio.io/bootstrapOverride names), whose max_heap_size_bytes is raised there; the global connection limit, when it is what sheds, is rendered as the workload's ProxyConfig",
  },
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    // Totals that did not move during the window are history: the shedding is named while it happens.
    const effects = findings.filter((f) => EFFECTS.has(f.code) && f.severity !== 'info');
    if (effects.length === 0) return [];
    const pressure = findings.filter((f) => f.code === PRESSURE);
    const explains: Explanation[] = effects.map(effectExplanation);
    let score = 0.55;
    for (const p of pressure) {
      explains.push(
        explain(
          OVERLOAD_PRESSURE_PAST_THRESHOLD,
          evidenceOf(p, ['monitor', 'pressurePercent', 'usedBytes', 'maxHeapBytes', 'thresholdPercent', 'actionsActive']),
        ),
      );
      const held = memoryExplanation(p);
      if (held) explains.push(held);
    }
    // What sheds is explained: the pressure past a threshold, or the connection limit that refuses.
    if (pressure.length > 0 || (effects.some((f) => f.code === LIMIT) && connectionLimit(s.overloadManager))) score += 0.2;
    // Long-lived streams are what it sheds: idle WebSockets reset, or upgrades refused.
    if (effects.some((f) => f.code === REDUCED || (f.code === REFUSED && (num(f, 'upgradesTotal') ?? 0) > 0))) score += 0.1;
    if (new Set(effects.map((f) => f.code)).size > 1) score += 0.1;
    const entities = distinctEntities(effects.map((f) => f.entity));
    return [
      {
        id: 'overload-manager-shedding',
        ...scoring(s, score),
        entities,
        evidence: [...effects, ...pressure],
        explains,
        checks: [],
        changes: changesFor(s, effects, pressure),
      },
    ];
  },
});
