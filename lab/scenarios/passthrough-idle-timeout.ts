// passthrough-idle-timeout: a TCP tunnel (the TCP proxy, as for TLS passthrough) to the backend's TCP echo port
// whose connections go quiet after one line. The TCP proxy closes a connection with no bytes in either direction
// for `idle_timeout` (1 s here, standing in for the 1 h default; api/envoy/extensions/filters/network/tcp_proxy/v3/
// tcp_proxy.proto), counting tcp.<stat_prefix>.idle_timeout (docs/root/configuration/listeners/network_filters/
// tcp_proxy_filter.rst). envoy-doctor names it from that counter, never from the configuration alone; both sides
// have TCP keepalive, so only the timer is at fault. The twin runs the hour envoy-doctor proposes.

import { setTimeout as sleep } from 'node:timers/promises';
import { churn, median, tcpOutcome } from '../clients.ts';
import { bootstrap, cluster, CLUSTER_KEEPALIVE, LISTENER_KEEPALIVE, tcpListener } from '../config.ts';
import { statValue } from '../envoy.ts';
import type { Scenario, ScenarioContext } from '../scenario.ts';

const IDLE_S = 1;

const config = (ctx: ScenarioContext, idle: string) =>
  bootstrap([tcpListener('tunnel', 'echo', { idle_timeout: idle }, LISTENER_KEEPALIVE)], [cluster('echo', ctx.backend.tcpPort, CLUSTER_KEEPALIVE)]);

export const passthroughIdleTimeout: Scenario = {
  rootCause: 'passthrough-idle-timeout',
  entities: ['listener tunnel', 'cluster echo'],
  failing: (ctx) => config(ctx, `${IDLE_S}s`),
  healthy: (ctx) => config(ctx, '3600s'),
  intervalSeconds: 1,
  async drive(_ctx, envoy) {
    const port = envoy.ports.get('tunnel') as number;
    const tunnels = churn(400, (signal) => tcpOutcome(port, signal));
    await sleep(IDLE_S * 1000 * 2.5);
    const closed = tunnels.ended().filter((o) => o.closedAfterMs !== undefined);
    const idleTimeouts = await statValue(envoy.admin, 'tcp.tunnel.idle_timeout');
    return {
      release: () => void tunnels.stop(),
      failed: closed.length > 0 && idleTimeouts > 0,
      measured: {
        tunnelsOpened: tunnels.ended().length + tunnels.open(),
        tunnelsClosed: closed.length,
        closedAfterMsMedian: median(closed.map((o) => o.closedAfterMs as number)),
        idleTimeouts,
        upstreamCxActive: await statValue(envoy.admin, 'cluster.echo.upstream_cx_active'),
      },
    };
  },
};
