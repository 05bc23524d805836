// cluster-idle-timeout: how long a cluster keeps an idle upstream connection, `common_http_protocol_options.idle_timeout`
// (api/envoy/config/core/v3/protocol.proto HttpProtocolOptions, in the cluster's
// envoy.extensions.upstreams.http.v3.HttpProtocolOptions or, on a cluster still using them, the deprecated cluster-level
// fields; 1 h unless set). Envoy Gateway BackendTrafficPolicy `timeout.http.connectionIdleTimeout`
// (envoyproxy/gateway api/v1alpha1/timeout_types.go, set on the cluster's HttpProtocolOptions by
// internal/xds/translator/cluster.go); Istio DestinationRule `trafficPolicy.connectionPool.http.idleTimeout`
// (istio/api networking/v1alpha3/destination_rule.proto) on an outbound cluster, an EnvoyFilter CLUSTER MERGE on an
// inbound one (the sidecar's own connections to its application, where a Node.js server's keep-alive races).

import { protoDuration } from '../changes.ts';
import { httpOptionsFragment, newProtocolOptionsProtocol } from '../envoy-live-edit.ts';
import { clusterTarget, type FixKind } from '../fix-kind.ts';
import { clusterPatch } from '../istio-envoy-filter.ts';
import { crdDuration, gatewayDuration } from '../quantity.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** Cluster `common_http_protocol_options.idle_timeout`: idle upstream connections are closed by Envoy at that age. */
    'cluster-idle-timeout': { cluster: string; ms: number };
  }
}

/** A cluster's upstream connection idle timeout, rendered for every flavor. */
export const fixKind: FixKind<'cluster-idle-timeout'> = {
  kind: 'cluster-idle-timeout',
  target: clusterTarget,
  envoy: (s, c) => ({
    lands: 'resource',
    resource: httpOptionsFragment({ ...newProtocolOptionsProtocol(s, c.cluster), common_http_protocol_options: { idle_timeout: protoDuration(c.ms) } }),
    merge: (e) => e.sp.set(e.commonHttpProtocolOptions(), 'idle_timeout', protoDuration(c.ms)),
  }),
  envoyGateway: (_s, c) => ({ lands: 'traffic-policy', spec: { timeout: { http: { connectionIdleTimeout: crdDuration(c.ms) } } } }),
  istio: (s, c) => ({
    lands: 'traffic',
    connectionPool: { http: { idleTimeout: gatewayDuration(c.ms) } },
    envoyFilterPatch: clusterPatch(s, c.cluster, httpOptionsFragment({ common_http_protocol_options: { idle_timeout: protoDuration(c.ms) } })),
  }),
};
