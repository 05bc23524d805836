// listener-buffer-limit: the per-connection buffer limit of a listener, `per_connection_buffer_limit_bytes`
// (api/envoy/config/listener/v3/listener.proto); Envoy Gateway ClientTrafficPolicy `connection.bufferLimit` for the
// Gateway listener (internal/gatewayapi/clienttrafficpolicy.go); Istio: an EnvoyFilter LISTENER MERGE.

import { noteType } from '../../model/catalogue-entry.ts';
import { bufferRaiseCost, listenerConnections } from '../cost.ts';
import { resourceFields } from '../envoy-resource-pieces.ts';
import { type FixKind, listenerTarget, note } from '../fix-kind.ts';
import { listenerPatch } from '../istio-envoy-filter.ts';
import { quantity } from '../quantity.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** A listener's per-connection buffer limit, in bytes. */
    'listener-buffer-limit': { listener: string; bytes: number };
  }
}

const FIELD = 'per_connection_buffer_limit_bytes';
/** A listener's limit also bounds what is read from upstream for its connections: said beside every fix of it. */
const PAUSES_UPSTREAM_NOTE = noteType<Record<never, never>>()(
  'listener-limit-pauses-upstream',
  "the listener's buffer limit is the downstream write watermark that pauses upstream reads (the cluster's does not move the pause): a larger one lets bursts up to it reach slow clients without a pause, and does not end the heartbeat closes of a client that stays slow, whose answers wait behind the unread bytes wherever they are buffered (measured: docs/lab.md)",
);
const PAUSES_UPSTREAM = note(PAUSES_UPSTREAM_NOTE, {});

/** A listener's buffer limit, rendered for every flavor. */
export const fixKind: FixKind<'listener-buffer-limit'> = {
  kind: 'listener-buffer-limit',
  target: listenerTarget,
  envoy: (_s, c) => ({ ...resourceFields({ [FIELD]: c.bytes }), notes: [PAUSES_UPSTREAM] }),
  envoyGateway: (_s, c) => ({ lands: 'traffic-policy', spec: { connection: { bufferLimit: quantity(c.bytes) } }, notes: [PAUSES_UPSTREAM] }),
  istio: (s, c) => ({ lands: 'traffic', envoyFilterPatch: listenerPatch(s, c.listener, { [FIELD]: c.bytes }) }),
  cost: (s, c) => bufferRaiseCost(s, `listener ${c.listener}`, c.bytes, () => listenerConnections(s, c.listener)),
  noteTypes: [PAUSES_UPSTREAM_NOTE],
};
