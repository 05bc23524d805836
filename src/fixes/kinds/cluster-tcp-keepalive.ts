// cluster-tcp-keepalive: TCP keepalive on a cluster's upstream connections, `upstream_connection_options.tcp_keepalive`
// (api/envoy/config/cluster/v3/cluster.proto UpstreamConnectionOptions, core/v3/address.proto TcpKeepalive); Envoy
// Gateway BackendTrafficPolicy `tcpKeepalive`; Istio DestinationRule `connectionPool.tcp.tcpKeepalive` for an
// outbound cluster (networking/v1alpha3/destination_rule.proto), else an EnvoyFilter CLUSTER MERGE.

import { type Keepalive, tcpKeepaliveFields } from '../envoy-live-edit.ts';
import { resourceFields } from '../envoy-resource-pieces.ts';
import { clusterTarget, type FixKind } from '../fix-kind.ts';
import { clusterPatch } from '../istio-envoy-filter.ts';
import { crdDuration, gatewayDuration } from '../quantity.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** TCP keepalive on a cluster's connections: probes, idle time and interval in seconds. */
    'cluster-tcp-keepalive': { cluster: string } & Keepalive;
  }
}

/** Keepalive on a cluster's connections, rendered for every flavor. */
export const fixKind: FixKind<'cluster-tcp-keepalive'> = {
  kind: 'cluster-tcp-keepalive',
  target: clusterTarget,
  envoy: (_s, c) => resourceFields({ upstream_connection_options: { tcp_keepalive: tcpKeepaliveFields(c) } }),
  envoyGateway: (s, c) => ({
    lands: 'traffic-policy',
    spec: { tcpKeepalive: { probes: c.probes, idleTime: crdDuration(c.timeSeconds * 1000), interval: crdDuration(c.intervalSeconds * 1000) } },
    setButNotInProxy: (spec) => {
      const cluster = s.clusters.get(c.cluster);
      return cluster && spec.tcpKeepalive !== undefined && cluster.tcpKeepalive === undefined ? 'tcpKeepalive' : undefined;
    },
  }),
  istio: (s, c) => ({
    lands: 'traffic',
    connectionPool: {
      tcp: { tcpKeepalive: { time: gatewayDuration(c.timeSeconds * 1000), interval: gatewayDuration(c.intervalSeconds * 1000), probes: c.probes } },
    },
    envoyFilterPatch: clusterPatch(s, c.cluster, { upstream_connection_options: { tcp_keepalive: tcpKeepaliveFields(c) } }),
  }),
};
