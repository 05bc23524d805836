// TCP keepalive on WebSocket paths. Without it a connection whose peer vanished (NAT or load balancer idle
// timeout, a phone that lost its network) stays open until an application timer notices. Cluster
// upstream_connection_options.tcp_keepalive (api/envoy/config/cluster/v3/cluster.proto, core/v3/address.proto
// TcpKeepalive); listeners need SO_KEEPALIVE in socket_options (level 1, name 9), which Envoy Gateway's
// ClientTrafficPolicy tcpKeepalive writes. Linux defaults once enabled: 9 probes, 7200 s idle, 75 s interval.
// Internal listeners and `bind_to_port: false` listeners own no socket, so they are not judged.

import { findingType } from '../model/catalogue-entry.ts';
import { HTTP_STATS } from '../model/envoy-stats.ts';
import type { Finding } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { upgradesOn, webSocketClusters, webSocketListeners } from '../model/topology.ts';
import { defineAnalyzer, finding } from './analyzer.ts';

/** Evidence of a cluster or listener without TCP keepalive on a WebSocket path. */
interface TcpKeepaliveMissing {
  websocketRoutes: number;
  upgradesTotal?: number;
}

/** No TCP keepalive on a cluster behind WebSocket-capable routes. */
const CLUSTER_TCP_KEEPALIVE_MISSING = findingType<TcpKeepaliveMissing>()(
  'cluster-tcp-keepalive-missing',
  'No TCP keepalive towards a WebSocket backend',
  'no upstream_connection_options.tcp_keepalive on a cluster behind WebSocket-capable routes ({websocketRoutes})',
);

/** No SO_KEEPALIVE on a listener serving WebSocket-capable routes. */
const LISTENER_TCP_KEEPALIVE_MISSING = findingType<TcpKeepaliveMissing>()(
  'listener-tcp-keepalive-missing',
  'No TCP keepalive on a listener serving WebSockets',
  'no SO_KEEPALIVE socket option on a listener serving WebSocket-capable routes ({websocketRoutes})',
);

export const meta = defineAnalyzer({
  id: 'tcp-keepalive',
  title: 'TCP keepalive missing on WebSocket paths',
  reads: ['config', 'stats'],
  stats: { http: [HTTP_STATS.cxUpgradesTotal] },
  findings: [CLUSTER_TCP_KEEPALIVE_MISSING, LISTENER_TCP_KEEPALIVE_MISSING],
});

export function analyze(s: Snapshot): Finding[] {
  const findings: Finding[] = [];
  for (const { cluster, routes, managers } of webSocketClusters(s)) {
    if (cluster.tcpKeepalive) continue;
    const upgrades = upgradesOn(s, managers);
    findings.push(
      finding(
        s,
        CLUSTER_TCP_KEEPALIVE_MISSING,
        upgrades !== undefined && upgrades > 0 ? 'warning' : 'info',
        { kind: 'cluster', name: cluster.name },
        {
          websocketRoutes: routes.length,
          upgradesTotal: upgrades,
        },
      ),
    );
  }
  for (const { listener, routes, managers } of webSocketListeners(s)) {
    if (listener.tcpKeepalive || !listener.bindsSocket) continue;
    const upgrades = upgradesOn(s, managers);
    findings.push(
      finding(
        s,
        LISTENER_TCP_KEEPALIVE_MISSING,
        upgrades !== undefined && upgrades > 0 ? 'warning' : 'info',
        { kind: 'listener', name: listener.name },
        {
          websocketRoutes: routes.length,
          upgradesTotal: upgrades,
        },
      ),
    );
  }
  return findings;
}
