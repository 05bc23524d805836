// circuit-breaker-saturation: a cluster whose circuit breakers (max_connections and max_requests 2) are held by
// open WebSockets. Each upgraded stream holds one upstream connection and one active request for its whole life, so
// the third concurrent WebSocket is refused by the connection pool: 503 with flag UO
// (`upstream_reset_before_response_started{overflow}`), `upstream_rq_pending_overflow` counted, and the gauges
// `circuit_breakers.default.{cx_open,rq_open}` at 1 while the sessions stay open
// (api/envoy/config/cluster/v3/circuit_breaker.proto; source/common/conn_pool/conn_pool_base.cc,
// ConnPoolImplBase::newStreamImpl; docs/root/intro/arch_overview/upstream/circuit_breaking.rst; envoy#20020).
// The twin leaves Envoy's default thresholds (1024).

import { openWebSocket, upgradeStatus, type ClientSession } from '../clients.ts';
import { bootstrap, cluster, CLUSTER_KEEPALIVE, connectionManager, httpListener, LISTENER_KEEPALIVE, route, STDOUT_ACCESS_LOG, accessLog } from '../config.ts';
import { type RunningEnvoy, statValue } from '../envoy.ts';
import type { Observation, Scenario, ScenarioContext } from '../scenario.ts';

const LIMIT = 2;
const CLIENTS = 4;
/** How long a client waits for its handshake. */
const HANDSHAKE_MS = 2000;

const config = (ctx: ScenarioContext, limited: boolean) =>
  bootstrap(
    [
      httpListener(
        connectionManager([route('ws', '/', { timeout: '0s' })], { upgrade_configs: [{ upgrade_type: 'websocket' }], ...STDOUT_ACCESS_LOG }),
        LISTENER_KEEPALIVE,
      ),
    ],
    [
      cluster('backend', ctx.backend.httpPort, {
        ...CLUSTER_KEEPALIVE,
        ...(limited
          ? { circuit_breakers: { thresholds: [{ priority: 'DEFAULT', max_connections: LIMIT, max_pending_requests: 1, max_requests: LIMIT }] } }
          : {}),
      }),
    ],
  );

/**
 * Holds LIMIT WebSockets through the listener, then opens the rest at once; reads the cluster's breaker stats. Shared
 * by the plain-Envoy scenario and its Envoy Gateway twin (lab/scenarios/envoy-gateway-circuit-breaker.ts).
 */
export async function driveBreakers(envoy: RunningEnvoy, listener: string, clusterName: string): Promise<Observation> {
  const url = `ws://127.0.0.1:${envoy.ports.get(listener)}/ws/quiet`;
  const sessions: ClientSession[] = [];
  // The first LIMIT one after the other, so they are the ones holding the breakers; then the rest at once.
  const attempt = async (): Promise<{ status: number; ms: number }> => {
    const t = Date.now();
    try {
      sessions.push(await openWebSocket(url, { timeoutMs: HANDSHAKE_MS }));
      return { status: 101, ms: Date.now() - t };
    } catch (err) {
      const m = /upgrade refused: (\d+)/.exec((err as Error).message);
      return { status: m ? Number(m[1]) : 0, ms: Date.now() - t };
    }
  };
  const results = [];
  for (let i = 0; i < LIMIT; i++) results.push(await attempt());
  results.push(...(await Promise.all(Array.from({ length: CLIENTS - LIMIT }, attempt))));
  const statuses = results.map((r) => r.status);
  const times = results.map((r) => r.ms);
  const get = (n: string) => statValue(envoy.admin, `cluster.${clusterName}.${n}`);
  // Envoy flushes its access log every second.
  await new Promise((r) => setTimeout(r, 1200));
  const measured = {
    accessLog: accessLog(envoy.process.stdout()).join(' | '),
    statuses: statuses.join(','),
    handshakeMs: times.join(','),
    rqPendingActive: await get('upstream_rq_pending_active'),
    rqCancelled: await get('upstream_rq_cancelled'),
    cxOpen: await get('circuit_breakers.default.cx_open'),
    rqOpen: await get('circuit_breakers.default.rq_open'),
    rqPendingOpen: await get('circuit_breakers.default.rq_pending_open'),
    cxOverflow: await get('upstream_cx_overflow'),
    rqPendingOverflow: await get('upstream_rq_pending_overflow'),
    cxActive: await get('upstream_cx_active'),
    rqActive: await get('upstream_rq_active'),
  };
  // More clients keep trying while envoy-doctor reads (live, then collect), so refusals are seen happening.
  const retry = setInterval(() => void upgradeStatus(url), 250);
  return {
    release: () => {
      clearInterval(retry);
      sessions.forEach((s) => s.close());
    },
    failed: statuses.some((s) => s !== 101),
    measured,
  };
}

export const circuitBreakerSaturation: Scenario = {
  rootCause: 'circuit-breaker-saturation',
  entities: ['cluster backend'],
  failing: (ctx) => config(ctx, true),
  healthy: (ctx) => config(ctx, false),
  intervalSeconds: 1,
  drive: (_ctx, envoy) => driveBreakers(envoy, 'web', 'backend'),
};
