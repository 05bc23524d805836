// cluster-buffer-limit: the per-connection buffer limit of a cluster, `per_connection_buffer_limit_bytes`
// (api/envoy/config/cluster/v3/cluster.proto); Envoy Gateway BackendTrafficPolicy `connection.bufferLimit`
// (internal/gatewayapi/clustersettings.go); Istio has no DestinationRule field for it: an EnvoyFilter CLUSTER MERGE.

import { bufferRaiseCost, clusterConnections } from '../cost.ts';
import { resourceFields } from '../envoy-resource-pieces.ts';
import { clusterTarget, type FixKind } from '../fix-kind.ts';
import { clusterPatch } from '../istio-envoy-filter.ts';
import { quantity, quantityBytes } from '../quantity.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** A cluster's per-connection buffer limit, in bytes. */
    'cluster-buffer-limit': { cluster: string; bytes: number };
  }
}

const FIELD = 'per_connection_buffer_limit_bytes';

/** A cluster's buffer limit, rendered for every flavor. */
export const fixKind: FixKind<'cluster-buffer-limit'> = {
  kind: 'cluster-buffer-limit',
  target: clusterTarget,
  envoy: (_s, c) => resourceFields({ [FIELD]: c.bytes }),
  envoyGateway: (s, c) => ({
    lands: 'traffic-policy',
    spec: { connection: { bufferLimit: quantity(c.bytes) } },
    setButNotInProxy: (spec) => {
      const cluster = s.clusters.get(c.cluster);
      const bytes = quantityBytes((spec.connection as { bufferLimit?: unknown } | undefined)?.bufferLimit);
      return cluster && bytes !== undefined && cluster.bufferLimitBytes.value !== bytes ? 'connection.bufferLimit' : undefined;
    },
  }),
  istio: (s, c) => ({ lands: 'traffic', envoyFilterPatch: clusterPatch(s, c.cluster, { [FIELD]: c.bytes }) }),
  cost: (s, c) => bufferRaiseCost(s, `cluster ${c.cluster}`, c.bytes, () => clusterConnections(s, c.cluster)),
};
