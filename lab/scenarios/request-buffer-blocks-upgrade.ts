// request-buffer-blocks-upgrade: the buffer filter (envoy.filters.http.buffer) before the router on a route that
// carries WebSocket upgrades. The filter holds a request until its body ends or reaches max_request_bytes
// (api/envoy/extensions/filters/http/buffer/v3/buffer.proto; source/extensions/filters/http/buffer/buffer_filter.cc,
// BufferFilter::decodeHeaders returns StopIteration while end_stream is false), and an upgrade request's body only
// ends with the connection, so the handshake never reaches the backend (envoyproxy/gateway#8578). The twin turns the
// filter off on the WebSocket route with BufferPerRoute `disabled: true` and keeps it on the plain route.

import { get, upgradeStatus } from '../clients.ts';
import { bootstrap, cluster, CLUSTER_KEEPALIVE, connectionManager, httpListener, LISTENER_KEEPALIVE, route, STDOUT_ACCESS_LOG, accessLog } from '../config.ts';
import { statValue } from '../envoy.ts';
import type { Scenario, ScenarioContext } from '../scenario.ts';

const BUFFER = {
  name: 'envoy.filters.http.buffer',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer', max_request_bytes: 1048576 },
};
const OFF = { 'envoy.filters.http.buffer': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute', disabled: true } };
/** How long a client waits for its handshake. */
const HANDSHAKE_MS = 3000;

const config = (ctx: ScenarioContext, bufferOnWebSockets: boolean) =>
  bootstrap(
    [
      httpListener(
        connectionManager(
          [
            {
              ...route('ws', '/ws/', { timeout: '0s', upgrade_configs: [{ upgrade_type: 'websocket' }] }),
              ...(bufferOnWebSockets ? {} : { typed_per_filter_config: OFF }),
            },
            route('api', '/'),
          ],
          STDOUT_ACCESS_LOG,
          [BUFFER],
        ),
        LISTENER_KEEPALIVE,
      ),
    ],
    [cluster('backend', ctx.backend.httpPort, CLUSTER_KEEPALIVE)],
  );

export const requestBufferBlocksUpgrade: Scenario = {
  rootCause: 'request-buffer-blocks-upgrade',
  entities: ['route ws'],
  failing: (ctx) => config(ctx, true),
  healthy: (ctx) => config(ctx, false),
  intervalSeconds: 1,
  async drive(_ctx, envoy) {
    const port = envoy.ports.get('web');
    const t = Date.now();
    const status = await upgradeStatus(`ws://127.0.0.1:${port}/ws/echo`, HANDSHAKE_MS);
    const handshakeMs = Date.now() - t;
    const plain = await get(`http://127.0.0.1:${port}/http/delay?ms=0`);
    // Envoy flushes its access log every second.
    await new Promise((r) => setTimeout(r, 1200));
    return {
      failed: status !== 101,
      measured: {
        status,
        handshakeMs,
        plainStatus: plain,
        upgradesTotal: await statValue(envoy.admin, 'http.web.downstream_cx_upgrades_total'),
        upstreamRqTotal: await statValue(envoy.admin, 'cluster.backend.upstream_rq_total'),
        accessLog: accessLog(envoy.process.stdout()).join(' | '),
      },
    };
  },
};
