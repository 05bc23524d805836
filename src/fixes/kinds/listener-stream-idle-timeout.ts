// listener-stream-idle-timeout: the HTTP connection manager's `stream_idle_timeout` on a listener
// (api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto; 0 disables it);
// Envoy Gateway ClientTrafficPolicy `timeout.http.streamIdleTimeout` (from 1.5, versions.ts); Istio: an EnvoyFilter
// NETWORK_FILTER MERGE of the connection manager.

import { protoDuration } from '../changes.ts';
import { connectionManagerFields } from '../envoy-resource-pieces.ts';
import { type FixKind, listenerTarget } from '../fix-kind.ts';
import { connectionManagerPatch } from '../istio-envoy-filter.ts';
import { crdDuration } from '../quantity.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** The connection manager's `stream_idle_timeout` on a listener (0 disables it). */
    'listener-stream-idle-timeout': { listener: string; ms: number };
  }
}

/** A listener's stream idle timeout, rendered for every flavor. */
export const fixKind: FixKind<'listener-stream-idle-timeout'> = {
  kind: 'listener-stream-idle-timeout',
  target: listenerTarget,
  envoy: (_s, c) => connectionManagerFields({ stream_idle_timeout: protoDuration(c.ms) }),
  envoyGateway: (_s, c) => ({ lands: 'traffic-policy', spec: { timeout: { http: { streamIdleTimeout: crdDuration(c.ms) } } } }),
  istio: (s, c) => ({ lands: 'traffic', envoyFilterPatch: connectionManagerPatch(s, c.listener, { stream_idle_timeout: protoDuration(c.ms) }) }),
};
