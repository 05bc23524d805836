// listener-max-stream-duration: the HTTP connection manager's `common_http_protocol_options.max_stream_duration`
// on a listener (api/envoy/config/core/v3/protocol.proto HttpProtocolOptions; lifting the limit is removing the
// field); Envoy Gateway ClientTrafficPolicy `connection.connectionLimit.maxStreamDuration` (from 1.6, versions.ts;
// internal/xds/translator/listener.go); Istio: an EnvoyFilter NETWORK_FILTER MERGE of the connection manager.

import { noteType } from '../../model/catalogue-entry.ts';
import type { EvidenceValue, Explanation } from '../../model/finding.ts';
import { protoDuration } from '../changes.ts';
import { isObj, pointer } from '../envoy-spelling.ts';
import type { LiveEdit } from '../envoy-live-edit.ts';
import { type FixKind, listenerTarget, note } from '../fix-kind.ts';
import { connectionManagerPatch } from '../istio-envoy-filter.ts';
import { crdDuration } from '../quantity.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** The connection manager's `max_stream_duration` on a listener (0 removes the limit). */
    'listener-max-stream-duration': { listener: string; ms: number };
  }
}

/** A raised listener limit still ends long-lived streams: said with what lifts it for one route. */
const STILL_ENDS_STREAMS = noteType<{ listener: EvidenceValue; maxStreamMs: EvidenceValue }>()(
  'max-stream-duration-still-ends-streams',
  "max_stream_duration raised to {maxStreamMs} on {listener} still resets every WebSocket at that age; a route's own max_stream_duration (RouteAction.max_stream_duration.max_stream_duration: 0s; Envoy Gateway BackendTrafficPolicy timeout.http.maxStreamDuration: 0s) lifts it for that route only",
);

/** The limit set on every connection manager of the live listener, or removed from each that has it. */
function mergeLimit(e: LiveEdit, ms: number): void {
  const { sp } = e;
  for (const { config, at } of e.connectionManagers()) {
    if (ms > 0) {
      sp.set(sp.child(config, 'common_http_protocol_options'), 'max_stream_duration', protoDuration(ms));
      continue;
    }
    const common = sp.get(config, 'common_http_protocol_options');
    if (!isObj(common) || !sp.has(common, 'max_stream_duration')) continue;
    e.out.removed.push(`${at}${pointer(sp.key(config, 'common_http_protocol_options'), sp.key(common, 'max_stream_duration'))}`);
    sp.delete(common, 'max_stream_duration');
  }
}

/** A listener's maximum stream duration, rendered for every flavor. */
export const fixKind: FixKind<'listener-max-stream-duration'> = {
  kind: 'listener-max-stream-duration',
  target: listenerTarget,
  envoy: (_s, c) => ({
    lands: 'resource',
    // Lifting the limit is removing the field: a fragment cannot say that (the merged object and the docs do).
    ...(c.ms > 0 ? { connectionManager: { common_http_protocol_options: { max_stream_duration: protoDuration(c.ms) } } } : {}),
    merge: (e) => mergeLimit(e, c.ms),
  }),
  envoyGateway: (_s, c) =>
    c.ms > 0
      ? { lands: 'traffic-policy', spec: { connection: { connectionLimit: { maxStreamDuration: crdDuration(c.ms) } } } }
      : { lands: 'traffic-policy', lift: { field: ['connection', 'connectionLimit', 'maxStreamDuration'], remind: 'always' } },
  istio: (s, c) => ({
    lands: 'traffic',
    ...(c.ms > 0
      ? { envoyFilterPatch: connectionManagerPatch(s, c.listener, { common_http_protocol_options: { max_stream_duration: protoDuration(c.ms) } }) }
      : {}),
  }),
  cost: (_s, c): Explanation[] => (c.ms > 0 ? [note(STILL_ENDS_STREAMS, { listener: c.listener, maxStreamMs: c.ms })] : []),
  noteTypes: [STILL_ENDS_STREAMS],
};
