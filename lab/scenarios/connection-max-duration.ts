// connection-max-duration: which maximum durations end an open WebSocket. `max_stream_duration` (connection manager
// or cluster HttpProtocolOptions.common_http_protocol_options, or RouteAction.max_stream_duration) resets the stream
// "independent of any other timeouts" (api/envoy/config/core/v3/protocol.proto; source/common/http/conn_manager_impl.cc
// ActiveStream::onStreamMaxDurationReached, source/common/router/upstream_request.cc), counting
// downstream_rq_max_duration_reached / upstream_rq_max_duration_reached. `max_connection_duration` only starts a
// drain that waits for the active stream to end (ConnectionManagerImpl::onConnectionDurationTimeout,
// source/common/conn_pool/conn_pool_base.cc ActiveClient::onConnectionDurationTimeout), so an upgraded session
// outlives it while *_cx_max_duration_reached count. Failing: the connection manager's max_stream_duration 1 s. The
// twin raises it to a day (envoy-doctor's fix) and keeps max_connection_duration 1 s on both sides, which must
// neither end the sessions nor be named. The questions measure the cluster's and the route's max_stream_duration, and
// replay envoy-doctor's plain-Envoy fix for each.

import { setTimeout as sleep } from 'node:timers/promises';
import { churn, median, webSocketOutcome } from '../clients.ts';
import { accessLog, bootstrap, cluster, CLUSTER_KEEPALIVE, connectionManager, httpListener, LISTENER_KEEPALIVE, route, STDOUT_ACCESS_LOG } from '../config.ts';
import { applyFixes } from '../apply-fix.ts';
import { diagnoseLive } from '../doctor.ts';
import { type Bootstrap, type RunningEnvoy, statValue, validate } from '../envoy.ts';
import type { Scenario, ScenarioContext, StartEnvoy } from '../scenario.ts';
import { ensureEnvironment } from '../setup.ts';

type Obj = Record<string, unknown>;

const MAX_S = 1;
const HPO = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
/** Cluster HttpProtocolOptions with common options (HTTP/1.1 upstream, as without them). */
const clusterOptions = (common: Obj): Obj => ({
  typed_extension_protocol_options: {
    [HPO]: { '@type': `type.googleapis.com/${HPO}`, explicit_http_config: { http_protocol_options: {} }, common_http_protocol_options: common },
  },
});

const config = (ctx: ScenarioContext, hcm: Obj, routeAction: Obj = {}, clusterExtra: Obj = {}) =>
  bootstrap(
    [
      httpListener(
        connectionManager([route('ws', '/', { timeout: '0s', ...routeAction })], {
          upgrade_configs: [{ upgrade_type: 'websocket' }],
          ...STDOUT_ACCESS_LOG,
          ...hcm,
        }),
        LISTENER_KEEPALIVE,
      ),
    ],
    [cluster('backend', ctx.backend.httpPort, { ...CLUSTER_KEEPALIVE, ...clusterExtra })],
  );

const STATS = [
  'http.web.downstream_rq_max_duration_reached',
  'http.web.downstream_cx_max_duration_reached',
  'cluster.backend.upstream_rq_max_duration_reached',
  'cluster.backend.upstream_cx_max_duration_reached',
];

/** Quiet WebSockets opened every 300 ms for `ms`: how many closed and when, the counters, the access log's flags. */
async function sessions(ctx: ScenarioContext, envoy: RunningEnvoy, ms: number) {
  const before = ctx.backend.ended().length;
  const quiet = churn(300, (signal) => webSocketOutcome(`ws://127.0.0.1:${envoy.ports.get('web')}/ws/quiet`, signal));
  await sleep(ms);
  const closed = quiet.ended().filter((o) => o.closedAfterMs !== undefined);
  const counters = Object.fromEntries(await Promise.all(STATS.map(async (n) => [n.slice(n.lastIndexOf('.') + 1), await statValue(envoy.admin, n)])));
  await sleep(1100); // the access log is flushed every second
  const measured = {
    opened: quiet.ended().length + quiet.open(),
    closed: closed.length,
    clientClosedAfterMsMedian: median(closed.map((o) => o.closedAfterMs as number)),
    backendClosedAfterSMedian: median(
      ctx.backend
        .ended()
        .slice(before)
        .map((e) => e.seconds),
    ),
    ...counters,
    accessLog: [...new Set(accessLog(envoy.process.stdout()).map((l) => l.split(' ').slice(0, 3).join(' ')))].join(' | '),
  };
  return { quiet, measured };
}

/**
 * A question: one configuration's quiet sessions for 2.5 s; then what envoy-doctor names, its printed plain-Envoy fix
 * merged, validated and replayed the same way.
 */
function question(build: (ctx: ScenarioContext) => Bootstrap) {
  return async (ctx: ScenarioContext, start: StartEnvoy) => {
    const run = async (b: Bootstrap) => {
      const envoy = await start(b);
      const { quiet, measured } = await sessions(ctx, envoy, 2500);
      const report = await diagnoseLive(envoy.admin, 1);
      await quiet.stop();
      await envoy.stop();
      return { measured, report };
    };
    const failing = build(ctx);
    const before = await run(failing);
    const first = before.report.rootCauses[0];
    const fixes = first?.id === 'connection-max-duration' ? first.fixes.filter((f) => f.flavor === 'envoy') : [];
    const fixed = applyFixes(failing, fixes);
    const invalid = fixes.length > 0 ? await validate((await ensureEnvironment(ctx.envoyVersion, () => {})).envoy, fixed) : 'no plain-Envoy fix';
    const after = invalid ? undefined : await run(fixed);
    return {
      ...before.measured,
      named: first ? `${first.id} on ${first.entities.map((e) => `${e.kind} ${e.name}`).join(', ')}` : 'none',
      fix: fixes.map((f) => `${f.target}: ${f.text.trim().replace(/\n\s*/g, ' ')}`).join(' | '),
      fixInvalid: invalid ?? null,
      closedAfterFix: after ? after.measured.closed : null,
      namedAfterFix: after ? after.report.rootCauses.map((r) => r.id).join(', ') || 'none' : null,
    };
  };
}

export const connectionMaxDuration: Scenario = {
  rootCause: 'connection-max-duration',
  entities: ['connection-manager web', 'listener web'],
  failing: (ctx) => config(ctx, { common_http_protocol_options: { max_stream_duration: `${MAX_S}s` } }),
  healthy: (ctx) =>
    config(
      ctx,
      { common_http_protocol_options: { max_stream_duration: '86400s', max_connection_duration: `${MAX_S}s` }, drain_timeout: '1s' },
      {},
      clusterOptions({ max_connection_duration: `${MAX_S}s` }),
    ),
  intervalSeconds: 1,
  async drive(ctx, envoy) {
    const { quiet, measured } = await sessions(ctx, envoy, MAX_S * 1000 * 2.5);
    return { release: () => void quiet.stop(), failed: measured.closed > 0, measured };
  },
  questions: {
    clusterMaxStreamDuration1s: question((ctx) => config(ctx, {}, {}, clusterOptions({ max_stream_duration: `${MAX_S}s` }))),
    routeMaxStreamDuration1s: question((ctx) => config(ctx, {}, { max_stream_duration: { max_stream_duration: `${MAX_S}s` } })),
  },
};
