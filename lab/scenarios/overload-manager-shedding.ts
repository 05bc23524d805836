// overload-manager-shedding: Envoy's overload manager sheds long-lived WebSockets. Two ways, one scenario each.
//
// Memory (`overload-manager-shedding`): a fixed_heap resource monitor whose max_heap_size_bytes is too small for the
// WebSockets it serves. Each open WebSocket holds heap (about 47 KiB here, measured), so opening them raises the
// monitor's pressure (`overload.envoy.resource_monitors.fixed_heap.pressure`, percent of the maximum;
// source/extensions/resource_monitors/fixed_heap/fixed_heap_monitor.cc). Past the scaled trigger's
// scaling_threshold, `envoy.overload_actions.reduce_timeouts` shortens the connection manager's stream idle timer
// (HTTP_DOWNSTREAM_STREAM_IDLE) towards its min_timeout (api/envoy/config/overload/v3/overload.proto,
// ScaleTimersOverloadActionConfig; docs/root/configuration/operations/overload_manager/overload_manager.rst,
// "Reducing timeouts"): sessions whose backend sends a frame every 2 s, well inside the 300 s stream_idle_timeout,
// are reset 1 s after a frame (`downstream_rq_idle_timeout`). Past the threshold of
// `envoy.overload_actions.stop_accepting_requests` every new request, WebSocket upgrades included, gets 503
// `envoy overloaded` (source/common/http/conn_manager_impl.cc, ActiveStream::decodeHeaders counts
// http.<prefix>.downstream_rq_overload_close). The twin's maximum holds the same WebSockets.
//
// Connections (`overload-manager-shedding-connection-limit`): the global downstream connection limit
// (`envoy.resource_monitors.global_downstream_max_connections`, api/envoy/extensions/resource_monitors/
// downstream_connections/v3/downstream_connections.proto) below the WebSockets clients hold. Past it every accepted
// socket is closed at once (source/common/network/tcp_listener_impl.cc, TcpListenerImpl::rejectCxOverGlobalLimit)
// and counted in the listener's `downstream_global_cx_overflow` (source/common/listener_manager/
// active_tcp_listener.cc, ActiveTcpListener::onReject) and the monitor's `failed_updates` (every refused allocation
// of the proactive resource). The twin's limit holds the clients. A question measures what the limit does to the admin
// API: the monitor does not count admin connections (the admin listener has no overload state, so
// rejectCxOverGlobalLimit falls back to the runtime key), while the deprecated runtime key
// `overload.global_downstream_max_connections` counts every accepted socket, the admin's included, and refuses new
// admin connections at the limit unless `admin.ignore_global_conn_limit` (api/envoy/config/bootstrap/v3/bootstrap.proto).

import { setTimeout as sleep } from 'node:timers/promises';
import { churn, type ClientSession, get, median, openWebSocket, webSocketOutcome } from '../clients.ts';
import { accessLog, bootstrap, cluster, CLUSTER_KEEPALIVE, connectionManager, httpListener, LISTENER_KEEPALIVE, route, STDOUT_ACCESS_LOG } from '../config.ts';
import { type Bootstrap, type RunningEnvoy, statValue } from '../envoy.ts';
import type { Observation, Scenario, ScenarioContext } from '../scenario.ts';

type Obj = Record<string, unknown>;

const MIB = 1048576;
/** The failing maximum: Envoy's own heap at start is about 6 MiB, so a few hundred WebSockets cross it. */
const SMALL_HEAP = 12 * MIB;
/** The twin's: the same WebSockets stay far below every threshold. */
const SIZED_HEAP = 1024 * MIB;
/** WebSockets the clients keep open in the memory scenario. */
const SESSIONS = 200;
/** The backend sends a frame this often on every session: an application heartbeat. */
const FRAME_EVERY_S = 2;
/** The connection manager's stream idle timeout (Envoy's default, 5 min), far above the heartbeat. */
const STREAM_IDLE = '300s';
/** The stream idle timer's floor under pressure, below the heartbeat. */
const STREAM_IDLE_MIN = '1s';

/** The global downstream connection limit in the failing setup, and the WebSockets clients want open. */
const CONNECTION_LIMIT = 4;
const WANTED = 8;
const SIZED_CONNECTION_LIMIT = 1000;

const FIXED_HEAP = 'envoy.resource_monitors.fixed_heap';
const GLOBAL_CX = 'envoy.resource_monitors.global_downstream_max_connections';

/** The fixed_heap monitor with reduce_timeouts (scaled 0.7 to 0.9) and stop_accepting_requests (0.95). */
function heapOverload(maxHeap: number): Obj {
  return {
    refresh_interval: '0.1s',
    resource_monitors: [
      {
        name: FIXED_HEAP,
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig', max_heap_size_bytes: maxHeap },
      },
    ],
    actions: [
      {
        name: 'envoy.overload_actions.reduce_timeouts',
        triggers: [{ name: FIXED_HEAP, scaled: { scaling_threshold: 0.7, saturation_threshold: 0.9 } }],
        typed_config: {
          '@type': 'type.googleapis.com/envoy.config.overload.v3.ScaleTimersOverloadActionConfig',
          timer_scale_factors: [{ timer: 'HTTP_DOWNSTREAM_STREAM_IDLE', min_timeout: STREAM_IDLE_MIN }],
        },
      },
      { name: 'envoy.overload_actions.stop_accepting_requests', triggers: [{ name: FIXED_HEAP, threshold: { value: 0.95 } }] },
    ],
  };
}

/** The global downstream connection limit as Envoy Gateway's bootstrap sets it (50000 there). */
function connectionOverload(limit: number): Obj {
  return {
    refresh_interval: '0.25s',
    resource_monitors: [
      {
        name: GLOBAL_CX,
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig',
          max_active_downstream_connections: limit,
        },
      },
    ],
  };
}

/** The lab's listener and cluster, under an overload manager when one is given. */
function config(ctx: ScenarioContext, overload: Obj | undefined, extra: Obj = {}): Bootstrap {
  return bootstrap(
    [
      httpListener(
        connectionManager([route('ws', '/', { timeout: '0s' })], {
          upgrade_configs: [{ upgrade_type: 'websocket' }],
          stream_idle_timeout: STREAM_IDLE,
          ...STDOUT_ACCESS_LOG,
        }),
        LISTENER_KEEPALIVE,
      ),
    ],
    [cluster('backend', ctx.backend.httpPort, CLUSTER_KEEPALIVE)],
    { ...(overload ? { overload_manager: overload } : {}), ...extra },
  );
}

/** Distinct `code flags details` of the access log so far. */
function logKinds(envoy: RunningEnvoy): string {
  return [...new Set(accessLog(envoy.process.stdout()).map((l) => l.split(' ').slice(0, 3).join(' ')))].join(' | ');
}

/** A WebSocket the drive opened: the status of its handshake (101, a refusal, or 0 when the connection failed). */
interface Held {
  status: number;
  session?: ClientSession;
}

/** Opens `n` WebSockets one after another. */
async function openSessions(url: string, n: number): Promise<Held[]> {
  const out: Held[] = [];
  for (let i = 0; i < n; i++) {
    try {
      out.push({ status: 101, session: await openWebSocket(url, { timeoutMs: 5000 }) });
    } catch (err) {
      const m = /upgrade refused: (\d+)/.exec((err as Error).message);
      out.push({ status: m ? Number(m[1]) : 0 });
    }
  }
  return out;
}

/** Closes what the drive held. */
const closeAll = (held: Held[]) => held.forEach((h) => h.session?.close());

async function driveHeap(ctx: ScenarioContext, envoy: RunningEnvoy): Promise<Observation> {
  const url = `ws://127.0.0.1:${envoy.ports.get('web')}/ws/stream?every=${FRAME_EVERY_S}&burst=16&chunk=16`;
  const stat = (n: string) => statValue(envoy.admin, n);
  const before = ctx.backend.ended().length;
  const started = Date.now();
  const held = await openSessions(url, SESSIONS);
  const openedInMs = Date.now() - started;
  // Heartbeats keep every session busy: none ends unless its stream idle timer was shortened below them.
  await sleep(FRAME_EVERY_S * 1000 * 2);
  const ended = held.flatMap((h) => {
    const ms = h.session?.closedAfterMs();
    return ms === undefined ? [] : [ms];
  });
  const measured = {
    sessions: SESSIONS,
    opened: held.filter((h) => h.status === 101).length,
    refused503: held.filter((h) => h.status === 503).length,
    openedInMs,
    endedBeforeStop: ended.length,
    endedAfterMsMedian: median(ended),
    // The backend's view: when Envoy reset the upstream side (the client's close comes delayed_close_timeout later).
    backendEndedAfterSMedian: median(
      ctx.backend
        .ended()
        .slice(before)
        .map((e) => e.seconds),
    ),
    pressurePercent: await stat('overload.envoy.resource_monitors.fixed_heap.pressure'),
    reduceTimeoutsScalePercent: await stat('overload.envoy.overload_actions.reduce_timeouts.scale_percent'),
    stopAcceptingRequestsActive: await stat('overload.envoy.overload_actions.stop_accepting_requests.active'),
    downstreamRqIdleTimeout: await stat('http.web.downstream_rq_idle_timeout'),
    downstreamRqOverloadClose: await stat('http.web.downstream_rq_overload_close'),
    upgradesActive: await stat('http.web.downstream_cx_upgrades_active'),
  };
  await sleep(1100); // the access log is flushed every second
  // New sessions keep arriving while envoy-doctor reads, so the shedding is seen happening in its window.
  const more = churn(250, (signal) => webSocketOutcome(url, signal));
  return {
    release: () => {
      closeAll(held);
      void more.stop();
    },
    failed: measured.refused503 > 0 || (ended.length > 0 && measured.downstreamRqIdleTimeout > 0),
    measured: { ...measured, accessLog: logKinds(envoy) },
  };
}

/**
 * WANTED clients that each want one WebSocket, opened one after another; a client refused retries every 250 ms, as
 * reconnecting clients do, and holds its WebSocket once in, so the demand stays at WANTED connections.
 */
async function driveConnections(envoy: RunningEnvoy): Promise<Observation> {
  const url = `ws://127.0.0.1:${envoy.ports.get('web')}/ws/quiet`;
  const stat = (n: string) => statValue(envoy.admin, n);
  const held = await openSessions(url, WANTED);
  const statuses = held.map((h) => h.status);
  let stopped = false;
  let retriesRefused = 0;
  let retriesOpened = 0;
  for (const h of held) {
    void (async () => {
      while (!stopped && h.status !== 101) {
        await sleep(250);
        const [again] = await openSessions(url, 1);
        if (again?.status !== 101) retriesRefused++;
        else if (stopped) again.session?.close();
        else {
          Object.assign(h, again);
          retriesOpened++;
        }
      }
    })();
  }
  await sleep(1000);
  // Listener stats are named by the configured address (port 0 here: chosen by the OS).
  const listener = (n: string) => stat(`listener.127.0.0.1_0.${n}`);
  const measured = {
    wanted: WANTED,
    statuses: statuses.join(','),
    opened: statuses.filter((st) => st === 101).length,
    retriesRefused,
    retriesOpened,
    downstreamGlobalCxOverflow: await listener('downstream_global_cx_overflow'),
    downstreamCxActive: await listener('downstream_cx_active'),
    monitorFailedUpdates: await stat(`overload.${GLOBAL_CX}.failed_updates`),
    upgradesActive: await stat('http.web.downstream_cx_upgrades_active'),
  };
  return {
    release: () => {
      stopped = true;
      closeAll(held);
    },
    failed: measured.opened < WANTED && measured.downstreamGlobalCxOverflow > 0,
    measured,
  };
}

/** The maximum the question measures against, so that 300 WebSockets stay below every threshold. */
const MEASURING_HEAP = 64 * MIB;

export const overloadManagerShedding: Scenario = {
  rootCause: 'overload-manager-shedding',
  entities: ['connection-manager web'],
  failing: (ctx) => config(ctx, heapOverload(SMALL_HEAP)),
  healthy: (ctx) => config(ctx, heapOverload(SIZED_HEAP)),
  intervalSeconds: 1,
  drive: (ctx, envoy) => driveHeap(ctx, envoy),
  questions: {
    /**
     * Whether the heap monitor's pressure falls once the WebSockets close: by default it counts the heap tcmalloc
     * holds (reserved, less unmapped and free pages: freed memory in its caches still counts); with the runtime flag
     * envoy.reloadable_features.fixed_heap_use_allocated (Envoy >= 1.37) it counts allocated bytes
     * (source/extensions/resource_monitors/fixed_heap/fixed_heap_monitor.cc).
     */
    async heapAfterClose(ctx, start) {
      const out: Record<string, unknown> = {};
      const flag = { layered_runtime: { layers: [{ name: 'static', static_layer: { 'envoy.reloadable_features.fixed_heap_use_allocated': true } }] } };
      for (const [how, extra] of [
        ['default', {}],
        ['useAllocated', flag],
      ] as const) {
        const envoy = await start(config(ctx, heapOverload(MEASURING_HEAP), extra));
        const pressure = () => statValue(envoy.admin, `overload.${FIXED_HEAP}.pressure`);
        await sleep(500);
        const before = await pressure();
        const held = await openSessions(`ws://127.0.0.1:${envoy.ports.get('web')}/ws/stream?every=${FRAME_EVERY_S}&burst=16&chunk=16`, 300);
        await sleep(500);
        const open = await pressure();
        closeAll(held);
        await sleep(3000);
        out[how] = {
          maxHeapBytes: MEASURING_HEAP,
          webSockets: held.filter((h) => h.status === 101).length,
          pressureBefore: before,
          pressureOpen: open,
          pressureAfterClose: await pressure(),
          upgradesActive: await statValue(envoy.admin, 'http.web.downstream_cx_upgrades_active'),
        };
      }
      return out;
    },
  },
};

export const overloadManagerSheddingConnectionLimit: Scenario = {
  rootCause: 'overload-manager-shedding',
  name: 'overload-manager-shedding-connection-limit',
  entities: ['listener web'],
  failing: (ctx) => config(ctx, connectionOverload(CONNECTION_LIMIT)),
  healthy: (ctx) => config(ctx, connectionOverload(SIZED_CONNECTION_LIMIT)),
  intervalSeconds: 1,
  drive: (_ctx, envoy) => driveConnections(envoy),
  questions: {
    /**
     * What a limit reached does to the admin API, for the resource monitor and for the deprecated runtime key
     * `overload.global_downstream_max_connections` (the admin listener not opted out): WebSockets opened of the
     * limit, and what a new admin connection is answered.
     */
    async adminAtTheLimit(ctx, start) {
      const out: Record<string, unknown> = {};
      const runtimeLimit = {
        layered_runtime: { layers: [{ name: 'static', static_layer: { 'overload.global_downstream_max_connections': CONNECTION_LIMIT } }] },
      };
      for (const [how, b] of [
        ['monitor', config(ctx, connectionOverload(CONNECTION_LIMIT))],
        ['runtimeKey', config(ctx, undefined, runtimeLimit)],
      ] as const) {
        const envoy = await start(b);
        const held = await openSessions(`ws://127.0.0.1:${envoy.ports.get('web')}/ws/quiet`, CONNECTION_LIMIT + 1);
        // A new connection (no keep-alive pool), as a probe or kubectl port-forward opens.
        const admin = await get(`${envoy.admin}/ready`, 2000);
        out[how] = {
          limit: CONNECTION_LIMIT,
          webSocketsOpened: held.filter((h) => h.status === 101).length,
          newAdminConnectionStatus: admin,
          webOverflow: await statValue(envoy.admin, 'listener.127.0.0.1_0.downstream_global_cx_overflow').catch(() => 'unread'),
          adminOverflow: await statValue(envoy.admin, 'listener.admin.downstream_global_cx_overflow').catch(() => 'unread'),
        };
        closeAll(held);
      }
      return out;
    },
  },
};
