// What a fix kind module (src/fixes/kinds/<kind>.ts) provides: where its change lands in Envoy's configuration and,
// for each flavor, that flavor's piece for the change, or why the flavor renders nothing for it. The renderers
// (envoy.ts, envoy-gateway.ts, istio.ts) group the pieces into one object per target, merge them with the live
// objects, gate them on versions and attach notes. The pieces are fields of plain Envoy resources
// (api/envoy/config/{cluster,listener,route}/v3), of Envoy Gateway objects (gateway.envoyproxy.io/v1alpha1
// BackendTrafficPolicy, ClientTrafficPolicy, EnvoyPatchPolicy, EnvoyProxy; gateway.networking.k8s.io HTTPRoute) and
// of Istio objects (networking.istio.io DestinationRule, VirtualService, EnvoyFilter).

import { coded, type NoteType } from '../model/catalogue-entry.ts';
import type { Explanation } from '../model/finding.ts';
import type { FixChangeKind, FixChangeOf } from '../model/fix-change.ts';
import type { KubeObject } from '../model/kubernetes.ts';
import type { Snapshot, SourceObject } from '../model/snapshot.ts';
import type { LiveEdit } from './envoy-live-edit.ts';

type Obj = Record<string, unknown>;

/** The Envoy resource a change applies to; renderers group changes by it. */
export type ChangeTarget =
  | { kind: 'cluster'; name: string }
  | { kind: 'route'; name: string }
  | { kind: 'listener'; name: string }
  | { kind: 'policy' }
  | { kind: 'proxy' };

/** A flavor that renders nothing for a kind, and why. */
interface NotRendered {
  notRendered: string;
}

/** One flavor's rendering of a kind: the piece of its objects a change sets, or why there is none. */
type FlavorRendering<K extends FixChangeKind, Piece> = ((s: Snapshot, c: FixChangeOf<K>) => Piece) | NotRendered;

/** One kind of change, rendered for every flavor. */
export interface FixKind<K extends FixChangeKind = FixChangeKind> {
  kind: K;
  /** Where the change lands in Envoy's configuration. */
  target(c: FixChangeOf<K>): ChangeTarget;
  envoy: FlavorRendering<K, EnvoyPiece>;
  envoyGateway: FlavorRendering<K, EnvoyGatewayPiece>;
  istio: FlavorRendering<K, IstioPiece>;
  /** What applying the change costs, the same under every flavor: notes beside each fix that carries it. */
  cost?(s: Snapshot, c: FixChangeOf<K>): Explanation[];
  /** The note types its pieces and its cost attach (and no renderer does), for the catalogue (note-types.ts). */
  noteTypes?: readonly NoteType<object>[];
}

/** A note of a declared type, its values checked against the type (a key in a `[?...]` section may be left out). */
export const note: <V extends object>(type: NoteType<V>, values: { [K in keyof V]: V[K] | null }) => Explanation = coded;

/** Every flavor: stat-name prefixes added to the proxy's stats inclusion list, one object for all of them (stats-inclusion.ts). */
export interface StatsInclusionPiece {
  lands: 'stats-inclusion';
  prefixes: string[];
}

/** Plain Envoy: fields of the change's cluster, listener or route, and how it edits the live resource. */
export interface EnvoyResourcePiece {
  lands: 'resource';
  /** Fields set on the resource itself (a route: its entry); none when the change only removes a field. */
  resource?: Obj;
  /** Fields set on the listener's HTTP connection managers. */
  connectionManager?: Obj;
  /** Fields set on the listener's TCP proxies with that stat prefix. */
  tcpProxy?: { statPrefix: string; fields: Obj };
  /** Writes the change into the live resource, in its spelling. */
  merge(edit: LiveEdit): void;
  /** Notes on the fix that carries the change, once the live resource was merged. */
  mergedNotes?: Explanation[];
  /** Notes on the fix that carries the change. */
  notes?: Explanation[];
}

/** Plain Envoy: a field of one resource monitor of the bootstrap's overload manager, one object for all of them (overload-manager.ts). */
export interface OverloadMonitorPiece {
  lands: 'overload-monitor';
  /** The monitor's name, and its config's type URL for a monitor the bootstrap lacks. */
  monitor: string;
  typeUrl: string;
  /** The field of its `typed_config` the change sets. */
  field: string;
  value: number;
  notes?: Explanation[];
}

/** A plain-Envoy piece. */
export type EnvoyPiece = EnvoyResourcePiece | StatsInclusionPiece | OverloadMonitorPiece;

/**
 * Envoy Gateway: fields of the traffic policy that wins for the change's target (a BackendTrafficPolicy for the
 * xRoute behind a cluster or route, a ClientTrafficPolicy for a Gateway listener), or of the policy it names.
 */
export interface TrafficPolicyPiece {
  lands: 'traffic-policy';
  /** The part of the policy's `spec` the change sets; none when the policy has no field for it. */
  spec?: Obj;
  /** A field the change removes (a limit lifted), and whether a policy that lacks it says where else to look. */
  lift?: { field: string[]; remind: 'always' | 'new-policy' };
  /** The live BackendTrafficPolicy the change names: it lands there, and its fields win over the fix's. */
  namedPolicy?: { namespace: string; name: string };
  /** The field a live Gateway-level policy sets for this change while the proxy lacks it, given that policy's spec. */
  setButNotInProxy?(policySpec: Obj): string | undefined;
  /** Notes on the policy that carries the change. */
  notes?: Explanation[];
}

/** Envoy Gateway: a field of an HTTPRoute rule, which wins over any policy (the live HTTPRoute is changed). */
export interface HttpRouteRulePiece {
  lands: 'httproute-rule';
  route: SourceObject;
  live: KubeObject;
  rule: number;
  /** Fields merged into the rule. */
  fields: Obj;
  notes: Explanation[];
}

/** Envoy Gateway: a JSON patch of a Gateway listener's xDS (EnvoyPatchPolicy), for a field no policy has. */
export interface EnvoyPatchPolicyPiece {
  lands: 'envoy-patch-policy';
  listener: string;
  /** What the EnvoyPatchPolicy is for, in its name (`<gateway>-<purpose>`). */
  purpose: string;
  jsonPatch: Obj;
  notes: Explanation[];
}

/** Envoy Gateway: fields of the EnvoyProxy of the Gateway behind a listener. */
export interface EnvoyProxyPiece {
  lands: 'envoy-proxy';
  listener: string;
  spec: Obj;
  notes: Explanation[];
}

/** An Envoy Gateway piece. */
export type EnvoyGatewayPiece = TrafficPolicyPiece | HttpRouteRulePiece | EnvoyPatchPolicyPiece | EnvoyProxyPiece | StatsInclusionPiece;

/**
 * Istio: DestinationRule connection-pool settings, used when the change's cluster is outbound, else an EnvoyFilter
 * configPatch (istio-envoy-filter.ts builds them).
 */
interface IstioTrafficPiece {
  lands: 'traffic';
  connectionPool?: Obj;
  envoyFilterPatch?: Obj;
  /** Notes on the EnvoyFilter that carries the patch. */
  notes?: Explanation[];
}

/**
 * Istio: fields of the VirtualService http route an Envoy route was generated from (istio-virtual-service.ts finds
 * it), set in the live VirtualService or through a JSON patch of its `spec.http[<index>]`.
 */
export interface VirtualServiceHttpPiece {
  lands: 'virtual-service-http';
  http: VirtualServiceHttp;
  /** Fields of the http route: a string is set, null removes the field. */
  fields: Record<string, string | null>;
  notes: Explanation[];
}

/** The VirtualService http route an Envoy route came from: read from the live object, or its first route's, guarded by a JSON patch test. */
export type VirtualServiceHttp = { namespace: string; name: string; index: number } & (
  | { found: 'live'; live: KubeObject }
  | { found: 'first-route'; route: string; virtualHost: string; guard: { field: 'name' | 'timeout'; value: string } }
);

/** Istio: fields of the workload's ProxyConfig (the pod annotation `proxy.istio.io/config`, stats-inclusion.ts). */
interface ProxyConfigPiece {
  lands: 'proxy-config';
  proxyConfig: Obj;
  notes: Explanation[];
}

/** An Istio piece. */
export type IstioPiece = IstioTrafficPiece | VirtualServiceHttpPiece | StatsInclusionPiece | ProxyConfigPiece;

/** The target of a change on a cluster. */
export const clusterTarget = (c: { cluster: string }): ChangeTarget => ({ kind: 'cluster', name: c.cluster });
/** The target of a change on a route. */
export const routeTarget = (c: { route: string }): ChangeTarget => ({ kind: 'route', name: c.route });
/** The target of a change on a listener. */
export const listenerTarget = (c: { listener: string }): ChangeTarget => ({ kind: 'listener', name: c.listener });
