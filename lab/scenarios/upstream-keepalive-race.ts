// upstream-keepalive-race: a backend that closes idle keep-alive connections sooner than Envoy's upstream idle timeout
// (HttpProtocolOptions.common_http_protocol_options.idle_timeout, 1 h unless set; api/envoy/config/core/v3/
// protocol.proto) races the requests Envoy sends on its pooled connections. Envoy picks an idle connection as soon as
// a request comes (source/common/conn_pool/conn_pool_base.cc: the most recently used ready client first), and learns
// of the backend's close only when the FIN arrives; a request written in between is reset: CodecClient::onEvent
// (source/common/http/codec_client.cc) resets every active request of a connected connection that closes with
// StreamResetReason::ConnectionTermination, which the router answers with 503, flag UC, details
// upstream_reset_before_response_started{connection_termination}, counting upstream_cx_destroy_remote_with_active_rq.
// No retry policy, no retry: only `reset`, `5xx` or `gateway-error` retry a reset of a request already sent
// (source/common/router/retry_state_impl.cc wouldRetryFromReset; `reset-before-request` only when no byte was sent).
//
// The backend is Node.js's own HTTP server with keepAliveTimeout 250 ms (5 s by default; Node.js >= 24.6 closes
// keepAliveTimeoutBuffer, 1 s, later) behind 5 ms of latency each way (lab/keepalive-backend.ts), so the race is as
// wide as the round trip. The client pauses 0.85-1.05 x the keep-alive between requests, one at a time. The twin sets
// the cluster's idle_timeout to 200 ms, below the backend's keep-alive less the round trip: Envoy then closes idle
// connections first (upstream_cx_idle_timeout) and none is reset. The question replays the failing setup with each
// candidate fix alone.

import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { median } from '../clients.ts';
import { accessLog, bootstrap, cluster, connectionManager, httpListener, route, STDOUT_ACCESS_LOG } from '../config.ts';
import { type Bootstrap, type RunningEnvoy, statValue } from '../envoy.ts';
import { type KeepaliveBackend, startKeepaliveBackend } from '../keepalive-backend.ts';
import type { Scenario, StartEnvoy } from '../scenario.ts';

type Obj = Record<string, unknown>;

const KEEPALIVE_MS = 250;
const LATENCY_MS = 5;
/** Requests the load sends at least; the failing run goes on (up to twice as many) until 3 were reset. */
const REQUESTS = 30;
const HPO = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** The backend, started once per lab worker and shared by every run (each run starts a new Envoy). */
let backend: Promise<KeepaliveBackend> | undefined;
const keepaliveBackend = () => (backend ??= startKeepaliveBackend({ keepAliveMs: KEEPALIVE_MS, bufferMs: 0, latencyMs: LATENCY_MS }));

/** The cluster's HttpProtocolOptions (HTTP/1.1 upstream, as Envoy Gateway and Istio write it), with common options. */
const protocolOptions = (common: Obj = {}): Obj => ({
  typed_extension_protocol_options: {
    [HPO]: {
      '@type': `type.googleapis.com/${HPO}`,
      explicit_http_config: { http_protocol_options: {} },
      ...(Object.keys(common).length > 0 ? { common_http_protocol_options: common } : {}),
    },
  },
});

/**
 * Istio's text access log format (istio/istio pilot/pkg/model/telemetry_logging.go EnvoyTextLogFormat): the format
 * of the reports this root cause comes from, with the response code details and the upstream cluster.
 */
const ISTIO_TEXT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% ' +
  '%CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% ' +
  '"%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% ' +
  '%UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n';

/** The lab's `ACCESS` lines, and Istio's text format beside them (kept by `--record` as access.log). */
const ACCESS_LOGS: Obj = {
  access_log: [
    ...(STDOUT_ACCESS_LOG.access_log as Obj[]),
    {
      name: 'envoy.access_loggers.stdout',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
        log_format: { text_format_source: { inline_string: ISTIO_TEXT_FORMAT } },
      },
    },
  ],
};

async function config(common: Obj = {}, routeAction: Obj = {}): Promise<Bootstrap> {
  const b = await keepaliveBackend();
  return bootstrap([httpListener(connectionManager([route('api', '/', routeAction)], ACCESS_LOGS))], [cluster('backend', b.port, protocolOptions(common))]);
}

/** One GET through Envoy on a new client connection: its status, and which request of its backend connection it was. */
function get(port: number): Promise<{ status: number; onConnection: number }> {
  return new Promise((resolve) => {
    const req = request(`http://127.0.0.1:${port}/api`, { agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, onConnection: Number(res.headers['x-request-on-connection'] ?? 0) }));
      res.on('error', () => resolve({ status: 0, onConnection: 0 }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, onConnection: 0 }));
    req.end();
  });
}

/** Requests one at a time, each after a pause of 0.85-1.05 x the backend's keep-alive, until stopped. */
function load(port: number) {
  const outcomes: Array<{ status: number; onConnection: number }> = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      await sleep(KEEPALIVE_MS * (0.85 + 0.2 * Math.random()));
      if (!stopped) outcomes.push(await get(port));
    }
  })();
  return {
    outcomes: () => [...outcomes],
    reset: () => outcomes.filter((o) => o.status === 503).length,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

const STATS = [
  'upstream_cx_destroy_remote',
  'upstream_cx_destroy_remote_with_active_rq',
  'upstream_cx_destroy_local',
  'upstream_cx_idle_timeout',
  'upstream_cx_total',
  'upstream_rq_503',
  'upstream_rq_retry',
  'upstream_rq_retry_success',
];

/** Drives the load until `REQUESTS` were answered (the failing run: until 3 were reset, up to twice as many); what each side saw. */
async function observe(envoy: RunningEnvoy, untilReset: number) {
  const b = await keepaliveBackend();
  const closedBefore = b.closed().length;
  const lateBefore = b.late().length;
  const l = load(envoy.ports.get('web') as number);
  while (l.outcomes().length < REQUESTS || (l.reset() < untilReset && l.outcomes().length < 2 * REQUESTS)) await sleep(50);
  const outcomes = l.outcomes();
  const counters = Object.fromEntries(await Promise.all(STATS.map(async (n) => [n, await statValue(envoy.admin, `cluster.backend.${n}`)])));
  await sleep(600); // the access log is written out every 250 ms (lab/envoy.ts)
  const log = accessLog(envoy.process.stdout());
  const failures = log.filter((line) => !line.startsWith('200 '));
  const closed = b.closed().slice(closedBefore);
  return {
    load: l,
    measured: {
      requests: outcomes.length,
      ok: outcomes.filter((o) => o.status === 200).length,
      okOnReusedConnection: outcomes.filter((o) => o.status === 200 && o.onConnection > 1).length,
      reset503: l.reset(),
      backendIdleCloses: closed.filter((c) => c.by === 'server').length,
      backendIdleCloseAfterMsMedian: median(closed.filter((c) => c.by === 'server').map((c) => c.idleMs)),
      requestsReachingClosedConnections: b.late().length - lateBefore,
      ...counters,
      // Distinct `code flags details` of the requests that failed, and their durations in ms.
      accessLog: [...new Set(failures.map((line) => line.split(' ').slice(0, 3).join(' ')))].join(' | '),
      failedDurationMsMax: failures.length > 0 ? Math.max(...failures.map((line) => Number(line.split(' ')[5]))) : null,
    },
  };
}

/** The failing setup with one candidate fix alone: requests reset, and what Envoy counted. */
function candidate(common: Obj, routeAction: Obj) {
  return async (_ctx: unknown, start: StartEnvoy) => {
    const envoy = await start(await config(common, routeAction));
    const { load: l, measured } = await observe(envoy, 0);
    await l.stop();
    const kept = [
      'requests',
      'reset503',
      'upstream_cx_destroy_remote_with_active_rq',
      'upstream_cx_idle_timeout',
      'upstream_rq_retry',
      'upstream_rq_retry_success',
      'accessLog',
    ];
    return Object.fromEntries(Object.entries(measured).filter(([k]) => kept.includes(k)));
  };
}

/** Envoy Gateway's default retryOn (api/v1alpha1/retry_types.go), which also holds Istio's default retry policy. */
const DEFAULT_GATEWAY_RETRY = {
  retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
  retriable_status_codes: [503],
  num_retries: 2,
};

export const upstreamKeepaliveRace: Scenario = {
  rootCause: 'upstream-keepalive-race',
  entities: ['cluster backend'],
  failing: () => config(),
  healthy: () => config({ idle_timeout: '0.2s' }),
  intervalSeconds: 1,
  async drive(_ctx, envoy, variant) {
    const { load: l, measured } = await observe(envoy, variant === 'failing' ? 3 : 0);
    return { release: () => void l.stop(), failed: measured.reset503 > 0, measured };
  },
  questions: {
    // Which change ends the resets: each alone on the failing setup.
    idleTimeoutAboveKeepAlive: candidate({ idle_timeout: '0.3s' }, {}),
    retryOnReset: candidate({}, { retry_policy: { retry_on: 'reset', num_retries: 1 } }),
    retryOnResetBeforeRequest: candidate({}, { retry_policy: { retry_on: 'reset-before-request', num_retries: 1 } }),
    defaultGatewayAndMeshRetry: candidate({}, { retry_policy: DEFAULT_GATEWAY_RETRY }),
  },
};
