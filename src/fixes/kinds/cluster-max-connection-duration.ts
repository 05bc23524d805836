// cluster-max-connection-duration: a cluster's `common_http_protocol_options.max_connection_duration`
// (api/envoy/config/core/v3/protocol.proto HttpProtocolOptions, in the cluster's
// envoy.extensions.upstreams.http.v3.HttpProtocolOptions or, on a cluster still using them, the deprecated
// cluster-level fields); 0 lifts the limit, which is removing the field wherever it is set (0s would not mean "none"
// to every Envoy version). Envoy Gateway BackendTrafficPolicy `timeout.http.maxConnectionDuration` (unset means
// unlimited: a limit to lift is a field to remove); Istio DestinationRule `connectionPool.tcp.maxConnectionDuration`.

import { protoDuration } from '../changes.ts';
import { httpOptionsFragment, type LiveEdit, newProtocolOptionsProtocol } from '../envoy-live-edit.ts';
import { isObj, pointer } from '../envoy-spelling.ts';
import { clusterTarget, type FixKind } from '../fix-kind.ts';
import { crdDuration, gatewayDuration } from '../quantity.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** Cluster `max_connection_duration` (0 removes the limit). */
    'cluster-max-connection-duration': { cluster: string; ms: number };
  }
}

/** Removes the limit from the live cluster, wherever it is set. */
function liftLimit(e: LiveEdit): void {
  const { sp, resource: cluster } = e;
  const found = e.httpProtocolOptions();
  const places: Array<{ o: unknown; at: string }> = [
    { o: sp.get(cluster, 'common_http_protocol_options'), at: pointer(sp.key(cluster, 'common_http_protocol_options')) },
  ];
  if (found) {
    const at = pointer(sp.key(cluster, 'typed_extension_protocol_options'), found.key, sp.key(found.options, 'common_http_protocol_options'));
    places.push({ o: sp.get(found.options, 'common_http_protocol_options'), at });
  }
  for (const { o, at } of places) {
    if (!isObj(o) || !sp.has(o, 'max_connection_duration')) continue;
    e.out.removed.push(`${at}${pointer(sp.key(o, 'max_connection_duration'))}`);
    sp.delete(o, 'max_connection_duration');
  }
}

/** A cluster's maximum connection duration, rendered for every flavor. */
export const fixKind: FixKind<'cluster-max-connection-duration'> = {
  kind: 'cluster-max-connection-duration',
  target: clusterTarget,
  envoy: (s, c) => {
    if (c.ms === 0) return { lands: 'resource', merge: liftLimit };
    const resource = httpOptionsFragment({
      ...newProtocolOptionsProtocol(s, c.cluster),
      common_http_protocol_options: { max_connection_duration: protoDuration(c.ms) },
    });
    return { lands: 'resource', resource, merge: (e) => e.sp.set(e.commonHttpProtocolOptions(), 'max_connection_duration', protoDuration(c.ms)) };
  },
  envoyGateway: (_s, c) =>
    c.ms > 0
      ? { lands: 'traffic-policy', spec: { timeout: { http: { maxConnectionDuration: crdDuration(c.ms) } } } }
      : { lands: 'traffic-policy', lift: { field: ['timeout', 'http', 'maxConnectionDuration'], remind: 'always' } },
  istio: (_s, c) => ({ lands: 'traffic', ...(c.ms > 0 ? { connectionPool: { tcp: { maxConnectionDuration: gatewayDuration(c.ms) } } } : {}) }),
};
