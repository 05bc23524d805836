// intermediary-idle-timeout: a load balancer in front of Envoy, or between Envoy and the backend, closes connections
// on which no byte went either way for its idle timer (an AWS Application Load Balancer's connection idle timeout,
// 60 s by default: docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html),
// whatever Envoy's own timers say. The intermediary is lab/idle-proxy.ts with a 2 s timer; Envoy's timers are all
// far from it (stream_idle_timeout at its 5 min default, route timeout 0s, no max durations), and both sides probe
// with TCP keepalive after 1 s of quiet, below the timer: the probes never reach an intermediary that proxies bytes.
// Quiet WebSockets are opened one after another, so sessions keep ending at the timer while envoy-doctor samples;
// Envoy logs each as one 101 line whose duration is the whole session (docs/root/intro/arch_overview/http/
// upgrades.rst), in Envoy Gateway's JSON fields, and envoy-doctor is given that log as an operator gives a file
// access log. The twin is the same intermediary with an application heartbeat below its timer: aiohttp's, which pings
// 1 s after the last frame it received (aiohttp/web_ws.py), so bytes cross the intermediary every second. The fix is
// outside Envoy: the replay runs the heartbeat envoy-doctor printed.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { churn, median, webSocketOutcome } from '../clients.ts';
import { bootstrap, cluster, connectionManager, httpListener, route, stdoutJsonAccessLogger } from '../config.ts';
import { type RunningEnvoy, statValue } from '../envoy.ts';
import { startIdleProxy } from '../idle-proxy.ts';
import type { Scenario, ScenarioContext, Variant } from '../scenario.ts';

/** The intermediary's idle timer, standing in for an ALB's 60 s. */
const IDLE_MS = 2000;
/** The application heartbeat of the twin: below the timer. */
const HEARTBEAT_S = 1;
/** A quiet session is opened this often. */
const EVERY_MS = 250;
/** How long sessions are opened before envoy-doctor reads Envoy: enough for a dozen to end at the timer. */
const DRIVE_MS = IDLE_MS * 2.5;

/** Envoy Gateway's JSON access log fields (envoyproxy/gateway internal/xds/translator/accesslog.go), on Envoy's stdout. */
const JSON_ACCESS_LOG = { access_log: [stdoutJsonAccessLogger()] };

/** TCP keepalive after 1 s of quiet, every second, on the listener's accepted connections (Linux levels and names) and the cluster's. */
const LISTENER_KEEPALIVE_1S = {
  socket_options: [
    { description: 'SO_KEEPALIVE', level: 1, name: 9, int_value: 1, state: 'STATE_PREBIND' },
    { description: 'TCP_KEEPIDLE', level: 6, name: 4, int_value: 1, state: 'STATE_PREBIND' },
    { description: 'TCP_KEEPINTVL', level: 6, name: 5, int_value: 1, state: 'STATE_PREBIND' },
    { description: 'TCP_KEEPCNT', level: 6, name: 6, int_value: 3, state: 'STATE_PREBIND' },
  ],
};
const CLUSTER_KEEPALIVE_1S = { upstream_connection_options: { tcp_keepalive: { keepalive_probes: 3, keepalive_time: 1, keepalive_interval: 1 } } };

/** Which side the intermediary is on: in front of Envoy (clients reach Envoy through it) or behind (Envoy reaches the backend through it). */
type Side = 'front' | 'behind';

/** A port the OS hands out now, for an intermediary started when the load is driven. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

const config = async (ctx: ScenarioContext, side: Side) =>
  bootstrap(
    [
      httpListener(
        connectionManager([route('ws', '/', { timeout: '0s' })], { upgrade_configs: [{ upgrade_type: 'websocket' }], ...JSON_ACCESS_LOG }),
        LISTENER_KEEPALIVE_1S,
      ),
    ],
    [cluster('backend', side === 'behind' ? await freePort() : ctx.backend.httpPort, CLUSTER_KEEPALIVE_1S)],
  );

/** The port the running Envoy's cluster `backend` connects to. */
function clusterPort(envoy: RunningEnvoy): number {
  const b = JSON.parse(readFileSync(join(envoy.dir, 'envoy.json'), 'utf8')) as {
    static_resources: {
      clusters: Array<{
        name: string;
        load_assignment: { endpoints: Array<{ lb_endpoints: Array<{ endpoint: { address: { socket_address: { port_value: number } } } }> }> };
      }>;
    };
  };
  const c = b.static_resources.clusters.find((x) => x.name === 'backend');
  return c?.load_assignment.endpoints[0]?.lb_endpoints[0]?.endpoint.address.socket_address.port_value as number;
}

/** Upgraded sessions of Envoy's JSON access log so far: flags, details and duration. */
function upgradedSessions(stdout: string): Array<{ flags: string; details: string; termination: string; durationMs: number }> {
  return stdout.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      const e = JSON.parse(line) as Record<string, unknown>;
      if (e.response_code !== 101) return [];
      return [
        {
          flags: String(e.response_flags),
          details: String(e.response_code_details),
          termination: String(e.connection_termination_details),
          durationMs: Number(e.duration),
        },
      ];
    } catch {
      return [];
    }
  });
}

/** The heartbeat of a drive, in seconds: none when failing, the twin's, or the one envoy-doctor printed. */
function heartbeatOf(ctx: ScenarioContext, variant: Variant): number | undefined {
  if (variant === 'healthy') return HEARTBEAT_S;
  if (variant === 'fixed') return (ctx.fix?.heartbeatMs as number) / 1000;
  return undefined;
}

/** Drives quiet WebSockets through the intermediary on `side`; with a heartbeat in the healthy and fixed variants. */
async function drive(ctx: ScenarioContext, envoy: RunningEnvoy, variant: Variant, side: Side) {
  const web = envoy.ports.get('web') as number;
  const proxy = side === 'front' ? await startIdleProxy(web, IDLE_MS) : await startIdleProxy(ctx.backend.httpPort, IDLE_MS, { port: clusterPort(envoy) });
  const heartbeat = heartbeatOf(ctx, variant);
  const url = `ws://127.0.0.1:${side === 'front' ? proxy.port : web}/ws/quiet${heartbeat === undefined ? '' : `?heartbeat=${heartbeat}`}`;
  const before = ctx.backend.ended().length;
  const sessions = churn(EVERY_MS, (signal) => webSocketOutcome(url, signal));
  await sleep(DRIVE_MS);
  await sleep(600); // the access log is written out every 250 ms (lab/envoy.ts)
  const closed = sessions.ended().filter((o) => o.closedAfterMs !== undefined);
  const logged = upgradedSessions(envoy.process.stdout());
  const backendEnds = ctx.backend
    .ended()
    .slice(before)
    .filter((e) => e.path === '/ws/quiet');
  const idleCloses = proxy.ended().filter((e) => e.by === 'idle');
  const stat = (name: string) => statValue(envoy.admin, name);
  return {
    // New sessions stop; the open ones are left to the intermediary's timer, so its closes come first in the log
    // (with a heartbeat, none), then the rest are cut at once.
    release: async () => {
      sessions.pause();
      await proxy.close(IDLE_MS + 1000);
      await sessions.stop();
    },
    failed: closed.length > 0 && idleCloses.length > 0,
    measured: {
      side,
      idleTimerMs: IDLE_MS,
      heartbeatSeconds: heartbeat ?? null,
      sessionsOpened: sessions.ended().length + sessions.open(),
      sessionsClosed: closed.length,
      clientClosedAfterMsMedian: median(closed.map((o) => o.closedAfterMs as number)),
      backendClosedAfterSMedian: median(backendEnds.map((e) => e.seconds)),
      intermediaryIdleCloses: idleCloses.length,
      intermediaryClosedAfterMsMedian: median(idleCloses.map((e) => e.ms)),
      loggedSessions: logged.length,
      loggedDurationMsMin: logged.length > 0 ? Math.min(...logged.map((l) => l.durationMs)) : null,
      loggedDurationMsMedian: median(logged.map((l) => l.durationMs)),
      loggedDurationMsMax: logged.length > 0 ? Math.max(...logged.map((l) => l.durationMs)) : null,
      // Distinct `flags details termination-details` of the upgraded sessions Envoy logged.
      accessLog: [...new Set(logged.map((l) => `101 ${l.flags} ${l.details} ${l.termination}`))].join(' | '),
      downstreamCxDestroyRemoteActiveRq: await stat('http.web.downstream_cx_destroy_remote_active_rq'),
      downstreamCxDestroyLocalActiveRq: await stat('http.web.downstream_cx_destroy_local_active_rq'),
      upstreamCxDestroyRemoteWithActiveRq: await stat('cluster.backend.upstream_cx_destroy_remote_with_active_rq'),
      upstreamCxDestroyLocalWithActiveRq: await stat('cluster.backend.upstream_cx_destroy_local_with_active_rq'),
      downstreamRqIdleTimeout: await stat('http.web.downstream_rq_idle_timeout'),
      upgradesActive: await stat('http.web.downstream_cx_upgrades_active'),
    },
  };
}

/** The scenario with the intermediary on one side; the twin keeps it and adds the heartbeat. */
const onSide = (side: Side, entities: string[]): Scenario => ({
  rootCause: 'intermediary-idle-timeout',
  entities,
  failing: (ctx) => config(ctx, side),
  healthy: (ctx) => config(ctx, side),
  intervalSeconds: 1,
  readsAccessLog: true,
  drive: (ctx, envoy, variant) => drive(ctx, envoy, variant, side),
  // The heartbeat envoy-doctor proposes below the timer it measured.
  fixOutsideEnvoy: (printed) => {
    const heartbeatMs = printed.explains.find((e) => e.code === 'heartbeat-below-intermediary-timer')?.values.heartbeatMs;
    return typeof heartbeatMs === 'number' ? { heartbeatMs } : undefined;
  },
});

/** The intermediary in front of Envoy: it closes quiet client connections (Envoy sees DC). */
export const intermediaryIdleTimeout: Scenario = onSide('front', ['route ws', 'listener web']);

/** The intermediary between Envoy and the backend: it closes quiet upstream connections (Envoy sees UC). */
export const intermediaryIdleTimeoutUpstream: Scenario = { ...onSide('behind', ['route ws', 'cluster backend']), name: 'intermediary-idle-timeout-upstream' };
