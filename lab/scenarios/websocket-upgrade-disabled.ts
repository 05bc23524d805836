// websocket-upgrade-disabled: a route without WebSocket `upgrade_configs` under a connection manager without them.
// Envoy answers the handshake itself with 403 (response code details `upgrade_failed`) and counts
// `http.<stat_prefix>.downstream_rq_ws_on_non_ws_route` (source/common/http/conn_manager_impl.cc,
// ActiveStream::decodeHeaders / createFilterChain; docs/root/intro/arch_overview/http/upgrades.rst: a route's
// upgrade_configs override the connection manager's). The twin enables `websocket` on the route.

import { upgradeStatus } from '../clients.ts';
import { accessLog, bootstrap, cluster, CLUSTER_KEEPALIVE, connectionManager, httpListener, LISTENER_KEEPALIVE, route, STDOUT_ACCESS_LOG } from '../config.ts';
import { statValue } from '../envoy.ts';
import type { Scenario, ScenarioContext } from '../scenario.ts';

const HANDSHAKES = 3;

const config = (ctx: ScenarioContext, upgrades: boolean) =>
  bootstrap(
    [
      httpListener(
        connectionManager([route('ws', '/', { timeout: '0s', ...(upgrades ? { upgrade_configs: [{ upgrade_type: 'websocket' }] } : {}) })], STDOUT_ACCESS_LOG),
        LISTENER_KEEPALIVE,
      ),
    ],
    [cluster('backend', ctx.backend.httpPort, CLUSTER_KEEPALIVE)],
  );

async function handshakes(port: number | undefined, n: number): Promise<number[]> {
  return Promise.all(Array.from({ length: n }, () => upgradeStatus(`ws://127.0.0.1:${port}/ws/echo`)));
}

export const websocketUpgradeDisabled: Scenario = {
  rootCause: 'websocket-upgrade-disabled',
  entities: ['connection-manager web'],
  failing: (ctx) => config(ctx, false),
  healthy: (ctx) => config(ctx, true),
  intervalSeconds: 1,
  async drive(_ctx, envoy) {
    const port = envoy.ports.get('web');
    const statuses = await handshakes(port, HANDSHAKES);
    const refused = await statValue(envoy.admin, 'http.web.downstream_rq_ws_on_non_ws_route');
    const upgrades = await statValue(envoy.admin, 'http.web.downstream_cx_upgrades_total');
    // Envoy flushes its access log every second.
    await new Promise((r) => setTimeout(r, 1200));
    const logged = [...new Set(accessLog(envoy.process.stdout()))].join(' | ');
    // Clients keep trying while envoy-doctor reads (live, then collect), so the refusals are seen happening.
    const retry = setInterval(() => void handshakes(port, 1), 250);
    return {
      release: () => clearInterval(retry),
      failed: statuses.some((s) => s !== 101),
      measured: { statuses: statuses.join(','), wsOnNonWsRoute: refused, upgradesTotal: upgrades, accessLog: logged },
    };
  },
};
