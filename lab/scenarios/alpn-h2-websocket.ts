// alpn-h2-websocket: a TLS listener that offers ALPN h2 first (Envoy Gateway's default, ["h2", "http/1.1"]) in front
// of WebSocket routes, without `http2_protocol_options.allow_connect` on its connection manager
// (api/envoy/config/core/v3/protocol.proto). Without it Envoy's SETTINGS carry no SETTINGS_ENABLE_CONNECT_PROTOCOL
// (RFC 8441 section 3; source/common/http/http2/codec_impl.cc sends it only with allow_connect), so a client that
// opens its WebSocket on the HTTP/2 connection as an extended CONNECT (Firefox; kgateway-dev/kgateway#14305) cannot.
// With allow_connect, Envoy turns the extended CONNECT into an HTTP/1.1 Upgrade towards the backend
// (docs/root/intro/arch_overview/http/upgrades.rst, "WebSockets over HTTP/2 hops"), but adds no Sec-WebSocket-Key
// (source/common/http/utility.cc transformUpgradeRequestFromH2toH1; envoyproxy/envoy#8547): aiohttp answers 400 to
// a client that sends none, as RFC 8441 allows, so the pass/fail client sends a key and the one without is measured.
// A client that sends the CONNECT without waiting for SETTINGS is what leaves stats behind (downstream_cx_protocol_
// error). The certificate is made at run time with openssl in a temporary directory. The twin sets allow_connect.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extendedConnectStatus, extendedConnectUnchecked, http2GetStatus } from '../clients.ts';
import { bootstrap, cluster, CLUSTER_KEEPALIVE, connectionManager, httpListener, LISTENER_KEEPALIVE, route, STDOUT_ACCESS_LOG, accessLog } from '../config.ts';
import { statValue } from '../envoy.ts';
import type { Scenario, ScenarioContext } from '../scenario.ts';

let certDir: string | undefined;
/** A self-signed certificate for 127.0.0.1, made once per lab run and removed when the lab exits. */
function certificate(): { cert: string; key: string } {
  if (!certDir) {
    const dir = mkdtempSync(join(tmpdir(), 'envoy-doctor-lab-tls-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'],
      { stdio: 'ignore' },
    );
    certDir = dir;
  }
  return { cert: join(certDir, 'cert.pem'), key: join(certDir, 'key.pem') };
}

const config = (ctx: ScenarioContext, allowConnect: boolean) => {
  const { cert, key } = certificate();
  const tls = {
    transport_socket: {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
        common_tls_context: {
          alpn_protocols: ['h2', 'http/1.1'],
          tls_certificates: [{ certificate_chain: { filename: cert }, private_key: { filename: key } }],
        },
      },
    },
  };
  const hcm = connectionManager([route('ws', '/', { timeout: '0s' })], {
    upgrade_configs: [{ upgrade_type: 'websocket' }],
    ...(allowConnect ? { http2_protocol_options: { allow_connect: true } } : {}),
    ...STDOUT_ACCESS_LOG,
  });
  return bootstrap([httpListener(hcm, LISTENER_KEEPALIVE, tls)], [cluster('backend', ctx.backend.httpPort, CLUSTER_KEEPALIVE)]);
};

export const alpnH2Websocket: Scenario = {
  rootCause: 'alpn-h2-websocket',
  entities: ['listener web'],
  failing: (ctx) => config(ctx, false),
  healthy: (ctx) => config(ctx, true),
  intervalSeconds: 1,
  async drive(_ctx, envoy) {
    const port = envoy.ports.get('web') as number;
    const firefox = await extendedConnectStatus(port);
    const withKey = await extendedConnectStatus(port, { key: true });
    const unchecked = await extendedConnectUnchecked(port);
    const get = await http2GetStatus(port, '/ws/echo');
    await new Promise((r) => setTimeout(r, 1200));
    // Clients keep sending extended CONNECTs while envoy-doctor reads (live, then collect).
    const retry = setInterval(() => void extendedConnectUnchecked(port), 250);
    return {
      release: () => clearInterval(retry),
      failed: withKey !== 200,
      measured: {
        extendedConnect: firefox,
        extendedConnectWithKey: withKey,
        http2Get: get,
        unchecked: `${unchecked.status}${unchecked.error ? ` ${unchecked.error}` : ''}`,
        accessLog: accessLog(envoy.process.stdout()).join(' | '),
        http2Connections: await statValue(envoy.admin, 'http.web.downstream_cx_http2_total'),
        protocolErrors: await statValue(envoy.admin, 'http.web.downstream_cx_protocol_error'),
        rxMessagingErrors: await statValue(envoy.admin, 'http2.rx_messaging_error'),
        upgradesTotal: await statValue(envoy.admin, 'http.web.downstream_cx_upgrades_total'),
      },
    };
  },
};
