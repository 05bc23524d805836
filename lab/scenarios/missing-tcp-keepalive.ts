// missing-tcp-keepalive: a middlebox forgets an idle WebSocket's connection and silently drops its packets (a NAT or
// conntrack entry expiring, a node that vanished). Without TCP keepalive nothing is sent on a quiet WebSocket, so
// neither Envoy nor the client learns the backend is gone: the session stays open, dead. With keepalive on the
// cluster's upstream connections (api/envoy/config/core/v3/address.proto TcpKeepalive, set by cluster.proto
// UpstreamConnectionOptions) the kernel's unanswered probes reset the connection and Envoy closes the client's too.
// The middlebox is nftables dropping every packet to and from the backend's port, in the lab's own network
// namespace (lab/netns.ts).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openWebSocket } from '../clients.ts';
import { bootstrap, cluster, connectionManager, httpListener, LISTENER_KEEPALIVE, route } from '../config.ts';
import { statValue } from '../envoy.ts';
import { blackHole } from '../netns.ts';
import type { Scenario, ScenarioContext } from '../scenario.ts';

const CLIENTS = 2;
/** The healthy twin's keepalive: first probe after 1 s idle, one probe, 1 s apart. */
const QUICK_KEEPALIVE = { upstream_connection_options: { tcp_keepalive: { keepalive_probes: 1, keepalive_time: 1, keepalive_interval: 1 } } };

const config = (ctx: ScenarioContext, clusterExtra: Record<string, unknown>) =>
  bootstrap(
    [httpListener(connectionManager([route('ws', '/', { timeout: '0s' })], { upgrade_configs: [{ upgrade_type: 'websocket' }] }), { ...LISTENER_KEEPALIVE })],
    [cluster('backend', ctx.backend.httpPort, clusterExtra)],
  );

/**
 * Seconds the running Envoy's cluster keepalive needs to give up on a silent peer, with a margin; 10 s without one.
 * The kernel's keepalive timers fire late by a second or more on a busy machine (the printed fix closed the sessions
 * at 122.6 s of its 120 s in one run and after 124 s in another), and the wait ends as soon as every session closed,
 * so the margin is generous.
 */
function detectionSeconds(dir: string): number {
  const b = JSON.parse(readFileSync(join(dir, 'envoy.json'), 'utf8')) as { static_resources: { clusters: Array<Record<string, any>> } };
  const k = b.static_resources.clusters.find((c) => c.name === 'backend')?.upstream_connection_options?.tcp_keepalive;
  if (!k) return 10;
  return Number(k.keepalive_time ?? 7200) + Number(k.keepalive_probes ?? 9) * Number(k.keepalive_interval ?? 75) + 20;
}

export const missingTcpKeepalive: Scenario = {
  rootCause: 'missing-tcp-keepalive',
  entities: ['cluster backend'],
  dropsPackets: true,
  waitsApart: 'the fix is proven by waiting out the printed keepalive (60 s, then 3 probes 20 s apart)',
  failing: (ctx) => config(ctx, {}),
  healthy: (ctx) => config(ctx, QUICK_KEEPALIVE),
  async drive(ctx, envoy) {
    const port = envoy.ports.get('web');
    const sessions = await Promise.all(Array.from({ length: CLIENTS }, () => openWebSocket(`ws://127.0.0.1:${port}/ws/quiet`)));
    await sleep(300);
    const undo = await blackHole(ctx.backend.httpPort);
    const waitSeconds = detectionSeconds(envoy.dir);
    const t0 = Date.now();
    try {
      while (Date.now() - t0 < waitSeconds * 1000 && sessions.some((s) => s.closedAfterMs() === undefined)) await sleep(250);
    } finally {
      await undo();
    }
    const open = sessions.filter((s) => s.closedAfterMs() === undefined).length;
    return {
      failed: open > 0,
      measured: {
        waitedSeconds: waitSeconds,
        sessionsStillOpen: open,
        closedAfterSeconds: Math.max(0, ...sessions.map((s) => (s.closedAfterMs() ?? 0) / 1000)),
        upstreamActive: await statValue(envoy.admin, 'cluster.backend.upstream_cx_active'),
        upgradesActive: await statValue(envoy.admin, 'http.web.downstream_cx_upgrades_active'),
      },
      release: () => sessions.forEach((s) => s.close()),
    };
  },
};
