// route-timeout-on-stream: what a route `timeout` (1 s here, standing in for the 15 s default) does to streamed
// responses that are not upgrades: server-sent events over HTTP/1.1 and gRPC server streams over HTTP/2. The route
// timeout "spans between the point at which the entire downstream request (i.e. end-of-stream) has been processed and
// when the upstream response has been completely processed" (api/envoy/config/route/v3/route_components.proto,
// RouteAction.timeout; 15 s unless set, 0s disables): the router arms it when the request is complete
// (source/common/router/router.cc Filter::onRequestComplete) and only the end of the response disarms it. When it
// fires after the response headers went out, Filter::onResponseTimeout counts cluster.<name>.upstream_rq_timeout for
// every upstream request, headers seen or not, sets flag UT and details `response_timeout`, and sendLocalReply can
// only reset the stream (source/common/http/filter_manager.cc: "Prior headers have already been sent"). A gRPC
// stream whose client has not half-closed (bidirectional) never arms it. The connection manager carries the WebSocket
// upgrade, as Envoy Gateway's routes do: nothing here upgrades. The twin disables the route timeout (0s).

import { setTimeout as sleep } from 'node:timers/promises';
import { churn, get, median } from '../clients.ts';
import { bootstrap, cluster, CLUSTER_KEEPALIVE, connectionManager, httpListener, LISTENER_KEEPALIVE, route, stdoutJsonAccessLogger } from '../config.ts';
import { UPSTREAM_HTTP2 } from './upstream-http2-websocket.ts';
import { type RunningEnvoy, statValue } from '../envoy.ts';
import type { Observation, Scenario, ScenarioContext, StartEnvoy } from '../scenario.ts';
import { type GrpcServer, grpcOutcome, sseOutcome, startGrpcServer, type StreamOutcome } from '../streams.ts';

type Obj = Record<string, unknown>;

const ROUTE_TIMEOUT_S = 1;
/** Seconds between server-sent events. */
const SSE_EVERY_S = 0.2;
const GRPC_PATH = '/lab.Ticker/Watch';

/** Envoy Gateway's JSON access log with the response's content type, on Envoy's stdout (kept by `--record` as access.log). */
const ACCESS_LOG: Obj = { access_log: [stdoutJsonAccessLogger({ 'content-type': '%RESP(CONTENT-TYPE)%' })] };

/** The lab's gRPC server, started once per lab process (it does not keep the process alive). */
let grpcServer: Promise<GrpcServer> | undefined;
export const grpc = (): Promise<GrpcServer> => (grpcServer ??= startGrpcServer());

const config = async (ctx: ScenarioContext, timeout: string, hcm: Obj = {}) =>
  bootstrap(
    [
      httpListener(
        connectionManager([{ name: 'grpc', match: { prefix: '/lab.' }, route: { cluster: 'grpc', timeout } }, route('events', '/', { timeout })], {
          upgrade_configs: [{ upgrade_type: 'websocket' }],
          ...ACCESS_LOG,
          ...hcm,
        }),
        LISTENER_KEEPALIVE,
      ),
    ],
    [cluster('backend', ctx.backend.httpPort, CLUSTER_KEEPALIVE), cluster('grpc', (await grpc()).port, { ...CLUSTER_KEEPALIVE, ...UPSTREAM_HTTP2 })],
  );

/** Where a drive sends its streams and reads its counters: a listener, the two routes' clusters, the connection manager. */
export interface StreamTargets {
  listener: string;
  sseCluster: string;
  grpcCluster: string;
  statPrefix: string;
}

const PLAIN: StreamTargets = { listener: 'web', sseCluster: 'backend', grpcCluster: 'grpc', statPrefix: 'web' };

/** The counters a drive reads: what a timeout after the response moves, and what one before it moves. */
function statNames(t: StreamTargets): string[] {
  const cluster = ['upstream_rq_timeout', 'upstream_rq_2xx', 'upstream_rq_504', 'upstream_rq_tx_reset', 'upstream_cx_destroy_local_with_active_rq'];
  const http = ['downstream_rq_2xx', 'downstream_rq_5xx', 'downstream_rq_tx_reset', 'downstream_cx_upgrades_total', 'downstream_rq_idle_timeout'];
  return [...new Set([t.sseCluster, t.grpcCluster])]
    .flatMap((c) => cluster.map((n) => `cluster.${c}.${n}`))
    .concat(http.map((n) => `http.${t.statPrefix}.${n}`));
}

/** Counters by full name. */
async function counters(envoy: RunningEnvoy, names: string[]): Promise<Record<string, number>> {
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await statValue(envoy.admin, n)])));
}

/** Streams cut before their end (status 200, closed by Envoy, not complete). */
const cut = (outcomes: StreamOutcome[]) => outcomes.filter((o) => o.closedAfterMs !== undefined && !o.complete);

/** Distinct `code flags details protocol method content-type route` of the JSON access log so far, with the median duration of each. */
function accessSummary(envoy: RunningEnvoy): string {
  const entries = envoy.process
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const key = (e: Record<string, unknown>) =>
    ['response_code', 'response_flags', 'response_code_details', 'protocol', 'method', 'content-type', 'route_name'].map((k) => String(e[k] ?? '-')).join(' ');
  return [...Map.groupBy(entries, key)].map(([k, v]) => `${k} x${v.length} median ${median(v.map((e) => Number(e.duration)))} ms`).join(' | ');
}

/**
 * Server-sent-event streams (an event every SSE_EVERY_S) and gRPC server streams opened every 500 ms for three route
 * timeouts, one bidirectional call beside them; left running while envoy-doctor samples.
 */
export async function driveStreams(envoy: RunningEnvoy, t: StreamTargets): Promise<Observation> {
  const port = envoy.ports.get(t.listener) as number;
  const server = await grpc();
  const before = server.ended().length;
  const sse = churn(500, (signal) => sseOutcome(`http://127.0.0.1:${port}/sse?every=${SSE_EVERY_S}`, signal));
  const streams = churn(500, (signal) => grpcOutcome(port, GRPC_PATH, signal));
  // A call whose client keeps its request open (a bidirectional stream): the router never arms the route timeout.
  const bidi = churn(60_000, (signal) => grpcOutcome(port, '/lab.Ticker/Chat', signal, false));
  await sleep(ROUTE_TIMEOUT_S * 1000 * 3);
  const sseCut = cut(sse.ended());
  const grpcCut = cut(streams.ended());
  const stats = await counters(envoy, statNames(t));
  await sleep(600); // the access log is written out every 250 ms (lab/envoy.ts)
  const serverEnds = server
    .ended()
    .slice(before)
    .filter((e) => e.path === GRPC_PATH);
  return {
    release: () => void Promise.all([sse.stop(), streams.stop(), bidi.stop()]),
    failed: sseCut.length > 0 && grpcCut.length > 0,
    measured: {
      sseStarted: sse.ended().length + sse.open(),
      sseCut: sseCut.length,
      sseStatus: sseCut[0]?.status ?? null,
      sseContentType: sseCut[0]?.contentType ?? sse.ended()[0]?.contentType ?? null,
      sseCutAfterMsMedian: median(sseCut.map((o) => o.closedAfterMs as number)),
      sseEventsBeforeCutMedian: median(sseCut.map((o) => o.messages)),
      grpcStarted: streams.ended().length + streams.open(),
      grpcCut: grpcCut.length,
      grpcStatus: grpcCut[0]?.status ?? null,
      grpcRstCode: grpcCut[0]?.rstCode ?? null,
      grpcTrailerStatus: grpcCut[0]?.grpcStatus ?? null,
      grpcCutAfterMsMedian: median(grpcCut.map((o) => o.closedAfterMs as number)),
      grpcServerSawEndAfterMsMedian: median(serverEnds.map((e) => e.ms)),
      grpcServerRstCode: serverEnds[0]?.rstCode ?? null,
      bidiOpenPastRouteTimeout: bidi.open() === 1 && bidi.ended().length === 0,
      ...stats,
      accessLog: accessSummary(envoy),
    },
  };
}

export const routeTimeoutOnStream: Scenario = {
  rootCause: 'route-timeout-on-stream',
  entities: ['route events', 'cluster backend'],
  failing: (ctx) => config(ctx, `${ROUTE_TIMEOUT_S}s`),
  healthy: (ctx) => config(ctx, '0s'),
  intervalSeconds: 1,
  readsAccessLog: true,
  drive: (_ctx, envoy) => driveStreams(envoy, PLAIN),
  questions: {
    /** A plain response slower than the route timeout, for the counters a timeout before the headers moves. */
    async slowResponse(ctx, start: StartEnvoy) {
      const envoy = await start(await config(ctx, `${ROUTE_TIMEOUT_S}s`));
      const port = envoy.ports.get('web') as number;
      const statuses = await Promise.all([0, 1, 2].map(() => get(`http://127.0.0.1:${port}/http/delay?ms=${ROUTE_TIMEOUT_S * 2000}`)));
      const stats = await counters(envoy, statNames(PLAIN));
      await sleep(600);
      return { statuses: statuses.join(','), ...stats, accessLog: accessSummary(envoy) };
    },
    /**
     * stream_idle_timeout 1 s and no route timeout: an event stream quieter than the idle timeout (an event every 2 s)
     * and a busier one (every 0.3 s).
     */
    async streamIdleTimeout(ctx, start: StartEnvoy) {
      const envoy = await start(await config(ctx, '0s', { stream_idle_timeout: '1s' }));
      const port = envoy.ports.get('web') as number;
      const quiet = churn(60_000, (signal) => sseOutcome(`http://127.0.0.1:${port}/sse?every=2`, signal));
      const busy = churn(60_000, (signal) => sseOutcome(`http://127.0.0.1:${port}/sse?every=0.3`, signal));
      await sleep(3000);
      const quietCut = cut(quiet.ended());
      const busyOpen = busy.open() === 1 && busy.ended().length === 0;
      const stats = await counters(envoy, ['http.web.downstream_rq_idle_timeout', 'cluster.backend.upstream_rq_timeout']);
      await sleep(600);
      await Promise.all([quiet.stop(), busy.stop()]);
      return {
        quietCut: quietCut.length,
        quietCutAfterMs: quietCut[0]?.closedAfterMs ?? null,
        quietEventsBeforeCut: quietCut[0]?.messages ?? null,
        busyOpenPastIdleTimeout: busyOpen,
        ...stats,
        accessLog: accessSummary(envoy),
      };
    },
  },
};
