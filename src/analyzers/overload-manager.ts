// The overload manager shedding load: what it refuses or shortens, and the pressure behind it
// (docs/root/configuration/operations/overload_manager/overload_manager.rst; api/envoy/config/overload/v3/
// overload.proto). A resource monitor publishes its pressure in percent of its maximum
// (`overload.<monitor>.pressure`; source/server/overload_manager_impl.cc); an action its state
// (`overload.<action>.active`, `.scale_percent`). Effects, each counted where it happens:
// - stop_accepting_requests answers new requests, WebSocket upgrades included, with 503 `envoy overloaded` and counts
//   `http.<prefix>.downstream_rq_overload_close` (source/common/http/conn_manager_impl.cc ActiveStream::decodeHeaders);
// - reduce_timeouts with the HTTP_DOWNSTREAM_STREAM_IDLE timer scales the stream idle timeout towards its floor:
//   quiet streams, upgraded ones included, are reset sooner and counted in `downstream_rq_idle_timeout`;
// - the global downstream connection limit (the `envoy.resource_monitors.global_downstream_max_connections` monitor,
//   else the runtime key `overload.global_downstream_max_connections`) closes sockets at accept and counts
//   `listener.<address>.downstream_global_cx_overflow`; the monitor also counts each refusal in its
//   `failed_updates` (source/common/network/tcp_listener_impl.cc rejectCxOverGlobalLimit,
//   source/common/listener_manager/active_tcp_listener.cc ActiveTcpListener::onReject);
// - the tcp_listener_accept load shed point and reject_incoming_connections close sockets at accept and count
//   `downstream_cx_overload_reject`.
// Measured by lab/scenarios/overload-manager-shedding.ts on Envoy 1.36.2 and 1.40.0. Prometheus folds an
// overload stat's dots into underscores (`envoy_overload_envoy_resource_monitors_fixed_heap_pressure`, read back as
// `overload.envoy_resource_monitors_fixed_heap.pressure`): it is read under either name.

import { findingType } from '../model/catalogue-entry.ts';
import { CLUSTER_STATS, HTTP_STATS, LISTENER_STATS, OVERLOAD_STATS, type OverloadStat, STAT_PREFIXES } from '../model/envoy-stats.ts';
import type { Finding, Severity } from '../model/finding.ts';
import { connectionLimit, OVERLOAD, type OverloadManager, type ScaledTimer, shortName, triggeredBy, triggerStart } from '../model/overload-config.ts';
import type { Snapshot, StatsSample } from '../model/snapshot.ts';
import { delta, latestSample, stat, windowSeconds } from '../model/stats-view.ts';
import { webSocketManagers } from '../model/topology.ts';
import { defineAnalyzer, finding } from './analyzer.ts';

/** A resource monitor at or past the pressure where an action or load shed point starts. */
interface OverloadPressureHigh {
  monitor: string;
  pressurePercent: number;
  thresholdPercent: number;
  /** fixed_heap: the maximum, and the heap in use it stands for. */
  maxHeapBytes?: number;
  usedBytes?: number;
  /** The actions and load shed points of this monitor that act now (scale_percent above 0). */
  actionsActive: string;
  actionsActiveCount: number;
  /** Bytes in connection buffers (every connection manager's and cluster's `*_bytes_buffered`), and client connections. */
  bufferedBytes?: number;
  connectionsActive?: number;
}

/** Requests refused with 503 by stop_accepting_requests on a connection manager. */
interface OverloadRequestsRefused {
  refused: number;
  windowRefused?: number;
  windowSeconds?: number;
  upgradesTotal?: number;
  /** The action's state now, and what triggers it. */
  scalePercent?: number;
  monitor?: string;
  pressurePercent?: number;
  thresholdPercent?: number;
}

/** Stream idle timeouts on a WebSocket connection manager while reduce_timeouts scales the stream idle timer. */
interface OverloadIdleTimeoutsReduced {
  idleTimeouts: number;
  windowIdleTimeouts?: number;
  windowSeconds?: number;
  scalePercent: number;
  streamIdleTimeoutMs: number;
  floorMs: number;
  reducedToMs: number;
  upgradesTotal?: number;
}

/** Sockets closed at accept at the global downstream connection limit. */
interface GlobalConnectionLimitReached {
  overflow: number;
  windowOverflow?: number;
  windowSeconds?: number;
  limit?: number;
  limitSource?: string;
  /** Client connections open on every listener. */
  connectionsActive?: number;
  /** The connections monitor's `failed_updates`: every refusal, on every listener. */
  monitorRefusals?: number;
}

/** Sockets closed at accept by the overload manager. */
interface OverloadConnectionsRejected {
  rejected: number;
  windowRejected?: number;
  windowSeconds?: number;
  /** The load shed points and actions configured to reject connections. */
  by: string;
}

/** A resource monitor at or past the pressure where the overload manager starts to act. */
const OVERLOAD_PRESSURE_HIGH = findingType<OverloadPressureHigh>()(
  'overload-pressure-high',
  'A resource monitor is at the pressure where the overload manager sheds load',
  '{monitor} is at {pressurePercent}% of its maximum[? ({usedBytes} of max_heap_size_bytes {maxHeapBytes})], at or past {thresholdPercent}% where the overload manager starts to act; acting now: {actionsActive}[?; {bufferedBytes} of it waits in connection buffers, with {connectionsActive} client {connectionsActive|connection|connections} open]',
);

/** Requests refused with 503 by the overload manager. */
const OVERLOAD_REQUESTS_REFUSED = findingType<OverloadRequestsRefused>()(
  'overload-requests-refused',
  'The overload manager refuses requests',
  '{refused} {refused|request|requests} refused with 503 (envoy overloaded) by stop_accepting_requests[?, {windowRefused} in {windowSeconds}][?, while {monitor} is at {pressurePercent}% against its threshold of {thresholdPercent}%]',
);

/** Quiet streams reset sooner because reduce_timeouts scales the stream idle timeout. */
const OVERLOAD_IDLE_TIMEOUTS_REDUCED = findingType<OverloadIdleTimeoutsReduced>()(
  'overload-idle-timeouts-reduced',
  'The overload manager shortens the stream idle timeout of WebSockets',
  'reduce_timeouts is at {scalePercent}%: the stream idle timeout of {streamIdleTimeoutMs} is down to {reducedToMs} (its floor is {floorMs}), and {idleTimeouts} {idleTimeouts|stream was|streams were} reset by it on a connection manager serving WebSockets[? ({windowIdleTimeouts} in {windowSeconds})]',
);

/** Connections refused at the global downstream connection limit. */
const GLOBAL_CONNECTION_LIMIT_REACHED = findingType<GlobalConnectionLimitReached>()(
  'global-connection-limit-reached',
  'The global downstream connection limit refuses connections',
  '{overflow} {overflow|connection was|connections were} closed at accept by the global downstream connection limit[? of {limit} ({limitSource})][?, {windowOverflow} in {windowSeconds}][?; {connectionsActive} client {connectionsActive|connection|connections} open]',
);

/** Connections rejected at accept by the overload manager. */
const OVERLOAD_CONNECTIONS_REJECTED = findingType<OverloadConnectionsRejected>()(
  'overload-connections-rejected',
  'The overload manager rejects new connections',
  '{rejected} {rejected|connection was|connections were} closed at accept by {by}[?, {windowRejected} in {windowSeconds}]',
);

export const meta = defineAnalyzer({
  id: 'overload-manager',
  title: 'The overload manager shedding connections, requests and idle streams',
  reads: ['config', 'stats', 'stats-later'],
  stats: {
    http: [
      HTTP_STATS.rqOverloadClose,
      HTTP_STATS.rqIdleTimeout,
      HTTP_STATS.cxUpgradesTotal,
      HTTP_STATS.cxActive,
      HTTP_STATS.cxRxBytesBuffered,
      HTTP_STATS.cxTxBytesBuffered,
    ],
    cluster: [CLUSTER_STATS.cxRxBytesBuffered, CLUSTER_STATS.cxTxBytesBuffered],
    listener: [LISTENER_STATS.globalCxOverflow, LISTENER_STATS.cxOverloadReject, LISTENER_STATS.cxActive],
    prefixes: [STAT_PREFIXES.overload],
  },
  findings: [OVERLOAD_PRESSURE_HIGH, OVERLOAD_REQUESTS_REFUSED, OVERLOAD_IDLE_TIMEOUTS_REDUCED, GLOBAL_CONNECTION_LIMIT_REACHED, OVERLOAD_CONNECTIONS_REJECTED],
});

/** A stat of a monitor, action or load shed point, by the name text and JSON give it or the one Prometheus leaves (dots lost). */
function overloadStat(sample: StatsSample | undefined, name: string, tail: OverloadStat): number | undefined {
  const v = sample?.other.get(`${STAT_PREFIXES.overload}${name}.${tail}`) ?? sample?.other.get(`${STAT_PREFIXES.overload}${name.replace(/\./g, '_')}.${tail}`);
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/** An action's scale_percent, the highest of the samples (the state can change between them). */
function scaleOf(s: Snapshot, action: string): number | undefined {
  const values = [s.stats, s.statsLater].map((sample) => overloadStat(sample, action, OVERLOAD_STATS.scalePercent)).filter((v): v is number => v !== undefined);
  return values.length > 0 ? Math.max(...values) : undefined;
}

/** Warning while it happens (or with one sample), info when nothing moved in the window. */
function severityOf(window: number | undefined): Severity {
  return window === undefined || window > 0 ? 'warning' : 'info';
}

/** The sum of one stat over every entity of a family that has it; undefined when none has. */
function sum(s: Snapshot, scope: 'cluster' | 'http', names: readonly string[], tail: string): number | undefined {
  let total: number | undefined;
  for (const name of names) {
    const v = stat(s, scope, name, tail);
    if (v !== undefined) total = (total ?? 0) + v;
  }
  return total;
}

/** Client connection managers by stat prefix (the admin's own is not one). */
function clientManagers(s: Snapshot): string[] {
  return [...(latestSample(s)?.connectionManagers.keys() ?? [])].filter((p) => p !== 'admin');
}

/** Bytes waiting in every connection buffer, and client connections open. */
function memoryHolders(s: Snapshot): Pick<OverloadPressureHigh, 'bufferedBytes' | 'connectionsActive'> {
  const managers = clientManagers(s);
  const clusters = [...(latestSample(s)?.clusters.keys() ?? [])];
  const parts = [
    sum(s, 'http', managers, HTTP_STATS.cxRxBytesBuffered),
    sum(s, 'http', managers, HTTP_STATS.cxTxBytesBuffered),
    sum(s, 'cluster', clusters, CLUSTER_STATS.cxRxBytesBuffered),
    sum(s, 'cluster', clusters, CLUSTER_STATS.cxTxBytesBuffered),
  ].filter((v): v is number => v !== undefined);
  return {
    bufferedBytes: parts.length > 0 ? parts.reduce((a, b) => a + b, 0) : undefined,
    connectionsActive: sum(s, 'http', managers, HTTP_STATS.cxActive),
  };
}

/** Monitors at or past the start of a trigger on them. */
function pressureFindings(s: Snapshot, om: OverloadManager): Finding[] {
  const out: Finding[] = [];
  for (const monitor of om.monitors) {
    const pressure = overloadStat(latestSample(s), monitor.name, OVERLOAD_STATS.pressure);
    const triggered = triggeredBy(om, monitor.name);
    const starts = triggered.map((t) => triggerStart(t.trigger)).filter((v): v is number => v !== undefined);
    if (pressure === undefined || starts.length === 0) continue;
    const start = Math.min(...starts);
    if (pressure < start * 100) continue;
    const acting = triggered.filter((t) => (scaleOf(s, t.action.name) ?? 0) > 0).map((t) => shortName(t.action.name));
    out.push(
      finding(
        s,
        OVERLOAD_PRESSURE_HIGH,
        acting.length > 0 ? 'warning' : 'info',
        { kind: 'proxy', name: s.id },
        {
          monitor: shortName(monitor.name),
          pressurePercent: pressure,
          thresholdPercent: Math.round(start * 100),
          maxHeapBytes: monitor.maxHeapBytes,
          usedBytes: monitor.maxHeapBytes !== undefined ? Math.round((pressure / 100) * monitor.maxHeapBytes) : undefined,
          actionsActive: acting.length > 0 ? acting.join(', ') : 'none',
          actionsActiveCount: acting.length,
          ...memoryHolders(s),
        },
      ),
    );
  }
  return out;
}

/** The trigger of an action, with its monitor's pressure now. */
function triggerOf(s: Snapshot, om: OverloadManager, action: string): Pick<OverloadRequestsRefused, 'monitor' | 'pressurePercent' | 'thresholdPercent'> {
  const trigger = om.actions.find((a) => a.name === action)?.triggers[0];
  if (!trigger) return {};
  const start = triggerStart(trigger);
  return {
    monitor: shortName(trigger.monitor),
    pressurePercent: overloadStat(latestSample(s), trigger.monitor, OVERLOAD_STATS.pressure),
    thresholdPercent: start !== undefined ? Math.round(start * 100) : undefined,
  };
}

function refusedFindings(s: Snapshot, om: OverloadManager | undefined): Finding[] {
  const out: Finding[] = [];
  for (const prefix of clientManagers(s)) {
    const refused = stat(s, 'http', prefix, HTTP_STATS.rqOverloadClose);
    if (refused === undefined || refused <= 0) continue;
    const window = delta(s, 'http', prefix, HTTP_STATS.rqOverloadClose);
    out.push(
      finding(
        s,
        OVERLOAD_REQUESTS_REFUSED,
        severityOf(window),
        { kind: 'connection-manager', name: prefix },
        {
          refused,
          windowRefused: window,
          windowSeconds: windowSeconds(s, window),
          upgradesTotal: stat(s, 'http', prefix, HTTP_STATS.cxUpgradesTotal),
          scalePercent: scaleOf(s, OVERLOAD.stopAcceptingRequests),
          ...(om ? triggerOf(s, om, OVERLOAD.stopAcceptingRequests) : {}),
        },
      ),
    );
  }
  return out;
}

/** The stream idle timer's floor for a configured timeout (`min_timeout`, or `min_scale` of it). */
function floorMs(timer: ScaledTimer, configuredMs: number): number | undefined {
  if (timer.minTimeoutMs !== undefined) return Math.min(timer.minTimeoutMs, configuredMs);
  if (timer.minScalePercent !== undefined) return Math.round((configuredMs * timer.minScalePercent) / 100);
  return undefined;
}

function reducedFindings(s: Snapshot, om: OverloadManager): Finding[] {
  const timer = om.actions.find((a) => a.name === OVERLOAD.reduceTimeouts)?.scaledTimers.find((t) => t.timer === OVERLOAD.streamIdleTimer);
  const scale = scaleOf(s, OVERLOAD.reduceTimeouts);
  if (!timer || scale === undefined || scale <= 0) return [];
  const out: Finding[] = [];
  for (const [prefix, { connectionManager }] of webSocketManagers(s)) {
    const idleTimeouts = stat(s, 'http', prefix, HTTP_STATS.rqIdleTimeout);
    const configured = connectionManager.streamIdleTimeoutMs.value;
    // A disabled stream idle timeout (0) has no timer to scale.
    const floor = configured > 0 ? floorMs(timer, configured) : undefined;
    if (idleTimeouts === undefined || idleTimeouts <= 0 || floor === undefined) continue;
    const window = delta(s, 'http', prefix, HTTP_STATS.rqIdleTimeout);
    out.push(
      finding(
        s,
        OVERLOAD_IDLE_TIMEOUTS_REDUCED,
        severityOf(window),
        { kind: 'connection-manager', name: prefix },
        {
          idleTimeouts,
          windowIdleTimeouts: window,
          windowSeconds: windowSeconds(s, window),
          scalePercent: scale,
          streamIdleTimeoutMs: configured,
          floorMs: floor,
          // Envoy's scaled range timer: the floor, plus what is left of the range as the scale leaves it.
          reducedToMs: Math.round(floor + (configured - floor) * (1 - scale / 100)),
          upgradesTotal: stat(s, 'http', prefix, HTTP_STATS.cxUpgradesTotal),
        },
      ),
    );
  }
  return out;
}

/** Client connections open on every listener of the snapshot. */
function listenerConnections(s: Snapshot): number | undefined {
  let total: number | undefined;
  for (const l of s.listeners) {
    const v = stat(s, 'listener', l.address, LISTENER_STATS.cxActive);
    if (v !== undefined) total = (total ?? 0) + v;
  }
  return total;
}

function listenerFindings(s: Snapshot, om: OverloadManager | undefined): Finding[] {
  const out: Finding[] = [];
  const limit = connectionLimit(om);
  const rejecters = (om ? [...om.loadShedPoints, ...om.actions] : [])
    .map((a) => a.name)
    .filter((n) => n === 'envoy.load_shed_points.tcp_listener_accept' || n === 'envoy.overload_actions.reject_incoming_connections');
  for (const l of s.listeners) {
    const overflow = stat(s, 'listener', l.address, LISTENER_STATS.globalCxOverflow);
    if (overflow !== undefined && overflow > 0) {
      const window = delta(s, 'listener', l.address, LISTENER_STATS.globalCxOverflow);
      out.push(
        finding(
          s,
          GLOBAL_CONNECTION_LIMIT_REACHED,
          severityOf(window),
          { kind: 'listener', name: l.name },
          {
            overflow,
            windowOverflow: window,
            windowSeconds: windowSeconds(s, window),
            limit: limit?.limit,
            limitSource: limit?.source,
            connectionsActive: listenerConnections(s),
            monitorRefusals: overloadStat(latestSample(s), OVERLOAD.globalConnections, OVERLOAD_STATS.failedUpdates),
          },
        ),
      );
    }
    const rejected = stat(s, 'listener', l.address, LISTENER_STATS.cxOverloadReject);
    if (rejected !== undefined && rejected > 0) {
      const window = delta(s, 'listener', l.address, LISTENER_STATS.cxOverloadReject);
      out.push(
        finding(
          s,
          OVERLOAD_CONNECTIONS_REJECTED,
          severityOf(window),
          { kind: 'listener', name: l.name },
          {
            rejected,
            windowRejected: window,
            windowSeconds: windowSeconds(s, window),
            by: rejecters.length > 0 ? rejecters.map(shortName).join(', ') : 'the overload manager',
          },
        ),
      );
    }
  }
  return out;
}

export function analyze(s: Snapshot): Finding[] {
  const om = s.overloadManager;
  return [...(om ? pressureFindings(s, om) : []), ...refusedFindings(s, om), ...(om ? reducedFindings(s, om) : []), ...listenerFindings(s, om)];
}
