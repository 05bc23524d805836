// The fix kinds: every kind module of this folder, imported by name (the list is written by `npm run registries`,
// never read from the folder at run time), as a list and by kind, and the note types they declare. A kind is added by
// writing its module (see fix-kind.ts); the record below fails to type-check while a declared kind is not listed.

import type { NoteType } from '../../model/catalogue-entry.ts';
import type { Explanation } from '../../model/finding.ts';
import type { FixChange, FixChangeKind } from '../../model/fix-change.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import type { ChangeTarget, EnvoyGatewayPiece, EnvoyPiece, FixKind, IstioPiece } from '../fix-kind.ts';
// registry: the modules of this folder, written by `npm run registries`
import * as clusterBufferLimit from './cluster-buffer-limit.ts';
import * as clusterCircuitBreakers from './cluster-circuit-breakers.ts';
import * as clusterClientProtocol from './cluster-client-protocol.ts';
import * as clusterIdleTimeout from './cluster-idle-timeout.ts';
import * as clusterMaxConnectionDuration from './cluster-max-connection-duration.ts';
import * as clusterMaxStreamDuration from './cluster-max-stream-duration.ts';
import * as clusterTcpKeepalive from './cluster-tcp-keepalive.ts';
import * as listenerAllowConnect from './listener-allow-connect.ts';
import * as listenerBufferLimit from './listener-buffer-limit.ts';
import * as listenerMaxStreamDuration from './listener-max-stream-duration.ts';
import * as listenerStreamIdleTimeout from './listener-stream-idle-timeout.ts';
import * as listenerTcpKeepalive from './listener-tcp-keepalive.ts';
import * as overloadConnectionLimit from './overload-connection-limit.ts';
import * as overloadMaxHeap from './overload-max-heap.ts';
import * as policyFields from './policy-fields.ts';
import * as proxyDrainTime from './proxy-drain-time.ts';
import * as routeDisableRequestBuffer from './route-disable-request-buffer.ts';
import * as routeIdleTimeout from './route-idle-timeout.ts';
import * as routeMaxStreamDuration from './route-max-stream-duration.ts';
import * as routeTimeout from './route-timeout.ts';
import * as routeWebsocketUpgrade from './route-websocket-upgrade.ts';
import * as statsInclusion from './stats-inclusion.ts';
import * as tcpProxyIdleTimeout from './tcp-proxy-idle-timeout.ts';
// registry end

const BY_KIND: { [K in FixChangeKind]: FixKind<K> } = {
  // registry: the modules of this folder, written by `npm run registries`
  'cluster-buffer-limit': clusterBufferLimit.fixKind,
  'cluster-circuit-breakers': clusterCircuitBreakers.fixKind,
  'cluster-client-protocol': clusterClientProtocol.fixKind,
  'cluster-idle-timeout': clusterIdleTimeout.fixKind,
  'cluster-max-connection-duration': clusterMaxConnectionDuration.fixKind,
  'cluster-max-stream-duration': clusterMaxStreamDuration.fixKind,
  'cluster-tcp-keepalive': clusterTcpKeepalive.fixKind,
  'listener-allow-connect': listenerAllowConnect.fixKind,
  'listener-buffer-limit': listenerBufferLimit.fixKind,
  'listener-max-stream-duration': listenerMaxStreamDuration.fixKind,
  'listener-stream-idle-timeout': listenerStreamIdleTimeout.fixKind,
  'listener-tcp-keepalive': listenerTcpKeepalive.fixKind,
  'overload-connection-limit': overloadConnectionLimit.fixKind,
  'overload-max-heap': overloadMaxHeap.fixKind,
  'policy-fields': policyFields.fixKind,
  'proxy-drain-time': proxyDrainTime.fixKind,
  'route-disable-request-buffer': routeDisableRequestBuffer.fixKind,
  'route-idle-timeout': routeIdleTimeout.fixKind,
  'route-max-stream-duration': routeMaxStreamDuration.fixKind,
  'route-timeout': routeTimeout.fixKind,
  'route-websocket-upgrade': routeWebsocketUpgrade.fixKind,
  'stats-inclusion': statsInclusion.fixKind,
  'tcp-proxy-idle-timeout': tcpProxyIdleTimeout.fixKind,
  // registry end
};

/** Every fix kind. */
export const FIX_KINDS: readonly FixKind[] = Object.values(BY_KIND) as FixKind[];

/** The note types the kind modules declare (the renderers' own are in ../note-types.ts). */
export const KIND_NOTE_TYPES: readonly NoteType<object>[] = FIX_KINDS.flatMap((k) => k.noteTypes ?? []);

/** The module of a kind. */
export function fixKindOf<K extends FixChangeKind>(kind: K): FixKind<K> {
  return BY_KIND[kind];
}

/** Where a change lands in Envoy's configuration. */
export function changeTarget(c: FixChange): ChangeTarget {
  return fixKindOf(c.kind).target(c);
}

/** The pieces of each flavor, by the name of its rendering in a kind module. */
interface Pieces {
  envoy: EnvoyPiece;
  envoyGateway: EnvoyGatewayPiece;
  istio: IstioPiece;
}

/** A change's piece in one flavor; undefined when that flavor renders nothing for its kind. */
export function pieceOf<F extends keyof Pieces>(flavor: F, s: Snapshot, c: FixChange): Pieces[F] | undefined {
  const rendering = fixKindOf(c.kind)[flavor] as ((s: Snapshot, c: FixChange) => Pieces[F]) | { notRendered: string };
  return typeof rendering === 'function' ? rendering(s, c) : undefined;
}

/** What applying some changes costs: the notes of each change's kind. */
export function costNotes(s: Snapshot, changes: readonly FixChange[]): Explanation[] {
  return changes.flatMap((c) => fixKindOf(c.kind).cost?.(s, c) ?? []);
}
