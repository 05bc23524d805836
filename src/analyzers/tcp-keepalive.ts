// TCP keepalive on WebSocket paths. Without it a connection whose peer vanished (NAT or load balancer idle
// timeout, a phone that lost its network) stays open until an application timer notices. Cluster
// upstream_connection_options.tcp_keepalive (api/envoy/config/cluster/v3/cluster.proto, core/v3/address.proto
// TcpKeepalive); listeners need SO_KEEPALIVE in socket_options (level 1, name 9), which Envoy Gateway's
// ClientTrafficPolicy tcpKeepalive writes. Linux defaults once enabled: 9 probes, 7200 s idle, 75 s interval.
// Internal listeners and `bind_to_port: false` listeners own no socket, so they are not judged.

import type { Finding } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { upgradesOn, webSocketClusters, webSocketListeners } from '../model/topology.ts';
import { type AnalyzerMeta, finding } from './analyzer.ts';

export const meta: AnalyzerMeta = {
  id: 'tcp-keepalive',
  title: 'TCP keepalive missing on WebSocket paths',
  reads: ['config', 'stats'],
  emits: ['cluster-tcp-keepalive-missing', 'listener-tcp-keepalive-missing'],
  docs: 'docs/analyzers/tcp-keepalive.md',
};

export function analyze(s: Snapshot): Finding[] {
  const findings: Finding[] = [];
  for (const { cluster, routes, managers } of webSocketClusters(s)) {
    if (cluster.tcpKeepalive) continue;
    const upgrades = upgradesOn(s, managers);
    findings.push(
      finding(s, 'cluster-tcp-keepalive-missing', upgrades !== undefined && upgrades > 0 ? 'warning' : 'info', { kind: 'cluster', name: cluster.name }, {
        websocketRoutes: routes.length,
        upgradesTotal: upgrades,
      }),
    );
  }
  for (const { listener, routes, managers } of webSocketListeners(s)) {
    if (listener.tcpKeepalive || !listener.bindsSocket) continue;
    const upgrades = upgradesOn(s, managers);
    findings.push(
      finding(s, 'listener-tcp-keepalive-missing', upgrades !== undefined && upgrades > 0 ? 'warning' : 'info', { kind: 'listener', name: listener.name }, {
        websocketRoutes: routes.length,
        upgradesTotal: upgrades,
      }),
    );
  }
  return findings;
}
