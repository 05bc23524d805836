// cluster-client-protocol: the client's protocol spoken upstream (HTTP/1.1 for WebSockets) instead of HTTP/2: the
// cluster's HttpProtocolOptions `use_downstream_protocol_config` (api/envoy/extensions/upstreams/http/v3/
// http_protocol_options.proto), a member of the required `upstream_protocol_options` oneof that replaces the live
// member and carries its HTTP/1.1 and HTTP/2 options over; a cluster on the deprecated cluster-level protocol fields
// gets `protocol_selection: USE_DOWNSTREAM_PROTOCOL` (cluster.proto). Envoy Gateway BackendTrafficPolicy
// `useClientProtocol`; Istio DestinationRule `connectionPool.http.useClientProtocol`.

import { httpOptionsFragment, HTTP_PROTOCOL_OPTIONS, type LiveEdit, UPSTREAM_PROTOCOL_ONEOF } from '../envoy-live-edit.ts';
import { isObj, pointer } from '../envoy-spelling.ts';
import { clusterTarget, type FixKind } from '../fix-kind.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** Speak the client's protocol upstream (HTTP/1.1 for WebSockets) instead of HTTP/2. */
    'cluster-client-protocol': { cluster: string };
  }
}

/** The live cluster switched to the downstream protocol, its HTTP/1.1 and HTTP/2 settings kept. */
function mergeClientProtocol(e: LiveEdit): void {
  const { sp, resource: cluster } = e;
  const found = e.httpProtocolOptions();
  if (!found && e.usesLegacyProtocolFields()) {
    sp.set(cluster, 'protocol_selection', 'USE_DOWNSTREAM_PROTOCOL');
    return;
  }
  const options = found?.options ?? e.ensureHttpProtocolOptions();
  const optionsAt = pointer(sp.key(cluster, 'typed_extension_protocol_options'), found?.key ?? HTTP_PROTOCOL_OPTIONS);
  // The HTTP/1.1 and HTTP/2 settings of the member being replaced are kept in the new one.
  let http1: unknown;
  let http2: unknown;
  for (const member of UPSTREAM_PROTOCOL_ONEOF) {
    const v = sp.get(options, member);
    if (!isObj(v)) continue;
    http1 ??= sp.get(v, 'http_protocol_options');
    http2 ??= sp.get(v, 'http2_protocol_options');
  }
  for (const member of UPSTREAM_PROTOCOL_ONEOF) {
    if (member === 'use_downstream_protocol_config' || !sp.has(options, member)) continue;
    if (found) e.out.removed.push(`${optionsAt}${pointer(sp.key(options, member))}`);
    sp.delete(options, member);
  }
  const downstream = sp.child(options, 'use_downstream_protocol_config');
  sp.set(downstream, 'http_protocol_options', isObj(http1) ? http1 : {});
  if (isObj(http2)) sp.set(downstream, 'http2_protocol_options', http2);
}

/** The client's protocol upstream, rendered for every flavor. */
export const fixKind: FixKind<'cluster-client-protocol'> = {
  kind: 'cluster-client-protocol',
  target: clusterTarget,
  envoy: () => ({
    lands: 'resource',
    resource: httpOptionsFragment({ use_downstream_protocol_config: { http_protocol_options: {} } }),
    merge: mergeClientProtocol,
  }),
  envoyGateway: () => ({ lands: 'traffic-policy', spec: { useClientProtocol: true } }),
  istio: () => ({ lands: 'traffic', connectionPool: { http: { useClientProtocol: true } } }),
};
