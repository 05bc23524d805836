// listener-allow-connect: RFC 8441 extended CONNECT accepted on a listener's HTTP connection managers,
// `http2_protocol_options.allow_connect` (api/envoy/config/core/v3/protocol.proto Http2ProtocolOptions); Envoy Gateway
// has no field for it: an EnvoyPatchPolicy JSON patch of the Gateway listener's connection manager
// (gateway.envoyproxy.io/v1alpha1 EnvoyPatchPolicy, api/v1alpha1/envoypatchpolicy_types.go); Istio: an EnvoyFilter
// NETWORK_FILTER MERGE of the connection manager.

import { noteType } from '../../model/catalogue-entry.ts';
import type { EvidenceValue } from '../../model/finding.ts';
import { connectionManagerFields } from '../envoy-resource-pieces.ts';
import { type FixKind, listenerTarget, note } from '../fix-kind.ts';
import { gatewayListenerOf } from '../gateway-objects.ts';
import { connectionManagerPatch } from '../istio-envoy-filter.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** RFC 8441 extended CONNECT accepted on a listener's connection manager (`http2_protocol_options.allow_connect`). */
    'listener-allow-connect': { listener: string };
  }
}

/** Serving WebSockets over HTTP/1.1 only (ALPN) is the other way out, said beside the patch. */
const ALPN_HTTP11_ALTERNATIVE = noteType<{ gateway: EvidenceValue }>()(
  'alpn-http11-alternative',
  'without patches: a ClientTrafficPolicy with tls.alpnProtocols [http/1.1] for the listeners of {gateway} makes every client use HTTP/1.1 there, WebSockets included, at the cost of HTTP/2 for pages',
);

/** Extended CONNECT on a listener, rendered for every flavor. */
export const fixKind: FixKind<'listener-allow-connect'> = {
  kind: 'listener-allow-connect',
  target: listenerTarget,
  envoy: () => connectionManagerFields({ http2_protocol_options: { allow_connect: true } }),
  envoyGateway: (s, c) => {
    const gateway = gatewayListenerOf(s, c.listener);
    return {
      lands: 'envoy-patch-policy',
      listener: c.listener,
      purpose: 'allow-connect',
      jsonPatch: {
        type: 'type.googleapis.com/envoy.config.listener.v3.Listener',
        name: c.listener,
        operation: {
          op: 'add',
          jsonPath: "..filters[?(@.name=='envoy.filters.network.http_connection_manager')]",
          path: '/typed_config/http2_protocol_options/allow_connect',
          value: true,
        },
      },
      notes: [note(ALPN_HTTP11_ALTERNATIVE, { gateway: gateway ? `${gateway.namespace}/${gateway.name}` : '' })],
    };
  },
  istio: (s, c) => ({ lands: 'traffic', envoyFilterPatch: connectionManagerPatch(s, c.listener, { http2_protocol_options: { allow_connect: true } }) }),
  noteTypes: [ALPN_HTTP11_ALTERNATIVE],
};
