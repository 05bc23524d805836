// stream-idle-timeout: WebSockets that stay quiet in both directions are reset by the connection manager's
// stream_idle_timeout (1 s here, standing in for the 5 min default): upgraded streams are not exempt
// (api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto stream_idle_timeout;
// source/common/http/conn_manager_impl.cc ActiveStream::onIdleTimeout counts http.<prefix>.downstream_rq_idle_timeout).
// Quiet sessions are opened one after another so the counter rises while envoy-doctor samples. The backend sees the
// reset at the timeout; the client sees the close delayed_close_timeout (1 s by default) later. The twin runs the
// hour envoy-doctor proposes; one session whose backend sends a frame every 0.5 s shows traffic keeps a stream alive.

import { setTimeout as sleep } from 'node:timers/promises';
import { churn, median, webSocketOutcome } from '../clients.ts';
import { accessLog, bootstrap, cluster, CLUSTER_KEEPALIVE, connectionManager, httpListener, LISTENER_KEEPALIVE, route, STDOUT_ACCESS_LOG } from '../config.ts';
import { statValue } from '../envoy.ts';
import type { Scenario, ScenarioContext } from '../scenario.ts';

const IDLE_S = 1;

const config = (ctx: ScenarioContext, idle: string) =>
  bootstrap(
    [
      httpListener(
        connectionManager([route('ws', '/', { timeout: '0s' })], {
          upgrade_configs: [{ upgrade_type: 'websocket' }],
          stream_idle_timeout: idle,
          ...STDOUT_ACCESS_LOG,
        }),
        LISTENER_KEEPALIVE,
      ),
    ],
    [cluster('backend', ctx.backend.httpPort, CLUSTER_KEEPALIVE)],
  );

export const streamIdleTimeout: Scenario = {
  rootCause: 'stream-idle-timeout',
  entities: ['connection-manager web', 'listener web'],
  failing: (ctx) => config(ctx, `${IDLE_S}s`),
  healthy: (ctx) => config(ctx, '3600s'),
  intervalSeconds: 1,
  async drive(ctx, envoy) {
    const url = `ws://127.0.0.1:${envoy.ports.get('web')}`;
    const before = ctx.backend.ended().length;
    const quiet = churn(400, (signal) => webSocketOutcome(`${url}/ws/quiet`, signal));
    const busy = churn(60_000, (signal) => webSocketOutcome(`${url}/ws/stream?every=0.5&burst=16&chunk=16`, signal));
    await sleep(IDLE_S * 1000 * 3);
    const closed = quiet.ended().filter((o) => o.closedAfterMs !== undefined);
    // The backend's view: when Envoy reset the upstream side (the client's close comes delayed_close_timeout later).
    const upstreamEnds = ctx.backend
      .ended()
      .slice(before)
      .filter((e) => e.path === '/ws/quiet');
    const idleTimeouts = await statValue(envoy.admin, 'http.web.downstream_rq_idle_timeout');
    await sleep(1100); // the access log is flushed every second
    return {
      release: () => void Promise.all([quiet.stop(), busy.stop()]),
      failed: closed.length > 0 && idleTimeouts > 0,
      measured: {
        quietSessionsClosed: closed.length,
        clientClosedAfterMsMedian: median(closed.map((o) => o.closedAfterMs as number)),
        backendClosedAfterSMedian: median(upstreamEnds.map((e) => e.seconds)),
        downstreamRqIdleTimeout: idleTimeouts,
        busySessionStillOpen: busy.open() === 1 && busy.ended().length === 0,
        // Distinct `code flags details` of upgraded sessions in the access log.
        accessLog: [
          ...new Set(
            accessLog(envoy.process.stdout())
              .filter((l) => l.startsWith('101'))
              .map((l) => l.split(' ').slice(0, 3).join(' ')),
          ),
        ].join(' | '),
      },
    };
  },
};
