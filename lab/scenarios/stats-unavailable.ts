// stats-unavailable: a bootstrap `stats_config.stats_matcher` whose inclusion list (Istio's default shape:
// cluster_manager., listener_manager., server., cluster.xds-grpc.) rejects the cluster and connection-manager stats
// the WebSocket root causes are decided on (api/envoy/config/metrics/v3/stats.proto StatsMatcher; a rejected stat
// is never created, source/common/stats/thread_local_store.cc, so /stats does not list it). WebSockets work; what
// fails is the diagnosis: without the stats those root causes are unknown. The fix is the inclusion list
// envoy-doctor prints for the bootstrap; after it, the stats are there and the diagnosis is clean. The twin keeps
// every stat (no matcher).

import { openWebSocket } from '../clients.ts';
import { bootstrap, cluster, CLUSTER_KEEPALIVE, connectionManager, httpListener, LISTENER_KEEPALIVE, route } from '../config.ts';
import type { Scenario, ScenarioContext } from '../scenario.ts';

/** Istio's default inclusion list (istio tools/packaging/common/envoy_bootstrap.json). */
const ISTIO_LIKE = {
  stats_matcher: { inclusion_list: { patterns: ['cluster_manager.', 'listener_manager.', 'server.', 'cluster.xds-grpc.'].map((prefix) => ({ prefix })) } },
};
/** Stats envoy-doctor needs for the lab's cluster and connection manager. */
const NEEDED = ['cluster.backend.upstream_cx_active', 'cluster.backend.upstream_flow_control_paused_reading_total', 'http.web.downstream_cx_upgrades_total'];

const config = (ctx: ScenarioContext, matcher: boolean) =>
  bootstrap(
    [httpListener(connectionManager([route('ws', '/', { timeout: '0s' })], { upgrade_configs: [{ upgrade_type: 'websocket' }] }), LISTENER_KEEPALIVE)],
    [cluster('backend', ctx.backend.httpPort, CLUSTER_KEEPALIVE)],
    matcher ? { stats_config: ISTIO_LIKE } : {},
  );

export const statsUnavailable: Scenario = {
  rootCause: 'stats-unavailable',
  entities: ['cluster backend'],
  failing: (ctx) => config(ctx, true),
  healthy: (ctx) => config(ctx, false),
  intervalSeconds: 1,
  async drive(_ctx, envoy) {
    const sessions = await Promise.all([1, 2].map(() => openWebSocket(`ws://127.0.0.1:${envoy.ports.get('web')}/ws/quiet`)));
    const text = await (await fetch(`${envoy.admin}/stats`)).text();
    const names = new Set(text.split('\n').map((l) => l.slice(0, l.indexOf(':'))));
    const absent = NEEDED.filter((n) => !names.has(n));
    return {
      release: () => sessions.forEach((s) => s.close()),
      failed: absent.length > 0,
      measured: {
        websocketsOpen: sessions.length,
        statsListed: names.size,
        clusterBackendStats: [...names].filter((n) => n.startsWith('cluster.backend.')).length,
        httpWebStats: [...names].filter((n) => n.startsWith('http.web.')).length,
        absent: absent.join(', ') || 'none',
      },
    };
  },
};
