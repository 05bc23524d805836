// upstream-http2-websocket: a WebSocket route in front of a cluster forced to HTTP/2
// (`explicit_http_config.http2_protocol_options`, api/envoy/extensions/upstreams/http/v3/http_protocol_options.proto)
// while the backend (aiohttp) speaks HTTP/1.1 only. Envoy sends an HTTP/1.1 upgrade to an HTTP/2 upstream as an
// extended CONNECT (docs/root/intro/arch_overview/http/upgrades.rst), over cleartext HTTP/2 with prior knowledge;
// the backend cannot read the connection preface, so the handshake fails. The twin leaves the cluster on HTTP/1.1.

import { get, upgradeStatus } from '../clients.ts';
import { accessLog, bootstrap, cluster, CLUSTER_KEEPALIVE, connectionManager, httpListener, LISTENER_KEEPALIVE, route, STDOUT_ACCESS_LOG } from '../config.ts';
import { statValue } from '../envoy.ts';
import type { Scenario, ScenarioContext } from '../scenario.ts';

/** A cluster forced to HTTP/2 (explicit_http_config.http2_protocol_options). */
export const UPSTREAM_HTTP2 = {
  typed_extension_protocol_options: {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      explicit_http_config: { http2_protocol_options: {} },
    },
  },
};

const config = (ctx: ScenarioContext, http2: boolean) =>
  bootstrap(
    [
      httpListener(
        connectionManager([route('ws', '/', { timeout: '0s' })], { upgrade_configs: [{ upgrade_type: 'websocket' }], ...STDOUT_ACCESS_LOG }),
        LISTENER_KEEPALIVE,
      ),
    ],
    [cluster('backend', ctx.backend.httpPort, { ...CLUSTER_KEEPALIVE, ...(http2 ? UPSTREAM_HTTP2 : {}) })],
  );

export const upstreamHttp2Websocket: Scenario = {
  rootCause: 'upstream-http2-websocket',
  entities: ['cluster backend'],
  failing: (ctx) => config(ctx, true),
  healthy: (ctx) => config(ctx, false),
  intervalSeconds: 1,
  async drive(_ctx, envoy) {
    const port = envoy.ports.get('web');
    const url = `ws://127.0.0.1:${port}/ws/echo`;
    const t = Date.now();
    const status = await upgradeStatus(url, 3000);
    const handshakeMs = Date.now() - t;
    const plain = await get(`http://127.0.0.1:${port}/http/delay?ms=0`);
    // Envoy flushes its access log every second.
    await new Promise((r) => setTimeout(r, 1200));
    const c = (n: string) => statValue(envoy.admin, `cluster.backend.${n}`);
    const measured = {
      status,
      handshakeMs,
      plainStatus: plain,
      accessLog: accessLog(envoy.process.stdout()).join(' | '),
      http2Total: await c('upstream_cx_http2_total'),
      http1Total: await c('upstream_cx_http1_total'),
      protocolErrors: await c('upstream_cx_protocol_error'),
      rxResets: await c('upstream_rq_rx_reset'),
      cxDestroyRemoteWithActiveRq: await c('upstream_cx_destroy_remote_with_active_rq'),
      rq5xx: await c('upstream_rq_5xx'),
    };
    // Clients keep trying while envoy-doctor reads (live, then collect), so the failures are seen happening.
    const retry = setInterval(() => void upgradeStatus(url, 3000), 250);
    return { release: () => clearInterval(retry), failed: status !== 101, measured };
  },
};
