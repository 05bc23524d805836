// cluster-max-stream-duration: a cluster's `common_http_protocol_options.max_stream_duration`
// (api/envoy/config/core/v3/protocol.proto HttpProtocolOptions, in the cluster's
// envoy.extensions.upstreams.http.v3.HttpProtocolOptions): upstream streams, upgraded ones included, are reset at that
// age. Envoy Gateway sets no cluster max_stream_duration of its own (one set there came from a patch, docs page):
// the change joins its xRoute's BackendTrafficPolicy and sets nothing in it. Istio: an EnvoyFilter CLUSTER MERGE.

import { protoDuration } from '../changes.ts';
import { httpOptionsFragment, newProtocolOptionsProtocol } from '../envoy-live-edit.ts';
import { clusterTarget, type FixKind } from '../fix-kind.ts';
import { clusterPatch } from '../istio-envoy-filter.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** Cluster `max_stream_duration`: upstream streams, upgraded ones included, are reset at that age. */
    'cluster-max-stream-duration': { cluster: string; ms: number };
  }
}

/** A cluster's maximum stream duration, rendered for every flavor. */
export const fixKind: FixKind<'cluster-max-stream-duration'> = {
  kind: 'cluster-max-stream-duration',
  target: clusterTarget,
  envoy: (s, c) => ({
    lands: 'resource',
    resource: httpOptionsFragment({ ...newProtocolOptionsProtocol(s, c.cluster), common_http_protocol_options: { max_stream_duration: protoDuration(c.ms) } }),
    merge: (e) => e.sp.set(e.commonHttpProtocolOptions(), 'max_stream_duration', protoDuration(c.ms)),
  }),
  envoyGateway: () => ({ lands: 'traffic-policy' }),
  istio: (s, c) => ({
    lands: 'traffic',
    envoyFilterPatch: clusterPatch(s, c.cluster, httpOptionsFragment({ common_http_protocol_options: { max_stream_duration: protoDuration(c.ms) } })),
  }),
};
