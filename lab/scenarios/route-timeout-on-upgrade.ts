// route-timeout-on-upgrade: what a route `timeout` (1 s here, standing in for the 15 s default) does to WebSockets on
// the Envoy versions the lab has. Since 1.36.0 the router arms it while waiting for the upgrade response and disarms
// it on 101 (envoyproxy/envoy#41075, changelogs/1.36.0.yaml "Support route and per-try timeouts on WebSocket upgrade";
// source/common/router/upstream_codec_filter.cc): a backend slower than the timeout to accept a WebSocket gets the
// upgrade failed with 504 (flag UT, cluster.<name>.upstream_rq_timeout), and an established session outlives it. The
// backend here answers upgrades 2 s late; the twin disables the route timeout (0s), as envoy-doctor's fix does.

import { setTimeout as sleep } from 'node:timers/promises';
import { churn, median, webSocketOutcome } from '../clients.ts';
import { accessLog, bootstrap, cluster, CLUSTER_KEEPALIVE, connectionManager, httpListener, LISTENER_KEEPALIVE, route, STDOUT_ACCESS_LOG } from '../config.ts';
import { statValue } from '../envoy.ts';
import type { Scenario, ScenarioContext } from '../scenario.ts';

const ROUTE_TIMEOUT_S = 1;
/** How late the backend answers an upgrade. */
const HANDSHAKE_DELAY_S = 2;

const config = (ctx: ScenarioContext, timeout: string) =>
  bootstrap(
    [
      httpListener(
        connectionManager([route('ws', '/', { timeout })], { upgrade_configs: [{ upgrade_type: 'websocket' }], ...STDOUT_ACCESS_LOG }),
        LISTENER_KEEPALIVE,
      ),
    ],
    [cluster('backend', ctx.backend.httpPort, CLUSTER_KEEPALIVE)],
  );

export const routeTimeoutOnUpgrade: Scenario = {
  rootCause: 'route-timeout-on-upgrade',
  entities: ['route ws', 'cluster backend'],
  failing: (ctx) => config(ctx, `${ROUTE_TIMEOUT_S}s`),
  healthy: (ctx) => config(ctx, '0s'),
  intervalSeconds: 1,
  async drive(_ctx, envoy) {
    const url = `ws://127.0.0.1:${envoy.ports.get('web')}`;
    // One session upgraded at once, kept quiet past the route timeout: does the timeout end an established session?
    const established = churn(60_000, (signal) => webSocketOutcome(`${url}/ws/quiet`, signal));
    const slow = churn(400, (signal) => webSocketOutcome(`${url}/ws/quiet?delay=${HANDSHAKE_DELAY_S}`, signal));
    await sleep((HANDSHAKE_DELAY_S + 1.5) * 1000);
    const refused = slow.ended().filter((o) => o.status !== 101);
    const timeouts = await statValue(envoy.admin, 'cluster.backend.upstream_rq_timeout');
    const upgradesActive = await statValue(envoy.admin, 'http.web.downstream_cx_upgrades_active');
    // Envoy flushes its access log every second.
    await sleep(1100);
    const log = accessLog(envoy.process.stdout());
    return {
      release: () => void Promise.all([slow.stop(), established.stop()]),
      failed: refused.length > 0,
      measured: {
        slowHandshakesRefused: refused.length,
        refusedStatus: refused[0]?.status ?? null,
        refusedAfterMsMedian: median(refused.map((o) => o.answeredAfterMs)),
        upgradesActive,
        upstreamRqTimeout: timeouts,
        // Distinct `code flags details protocol` of the access log (not every line: it is flushed every second).
        accessLog: [...new Set(log.map((l) => l.split(' ').slice(0, 4).join(' ')))].join(' | '),
        establishedOpenPastRouteTimeout: established.open() === 1 && established.ended().length === 0,
        establishedOpenForMs: (HANDSHAKE_DELAY_S + 1.5) * 1000,
      },
    };
  },
};
