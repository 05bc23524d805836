// The EnvoyProxy a Gateway's EnvoyProxy changes land in (gateway.envoyproxy.io/v1alpha1 EnvoyProxy), one object per
// Gateway carrying every change for it, computed against the EnvoyProxy that wins (envoy-proxy-chain.ts):
// - the Gateway's own EnvoyProxy, when it references one: patched, every field it sets kept;
// - the GatewayClass's, when that one sets mergeGateways (a Gateway's own is then ignored): patched likewise;
// - else a new Gateway-level EnvoyProxy the Gateway must reference. It would replace the GatewayClass's whole, so it
//   merges over it where a mergeType applies (the class's own, or `mergeType: StrategicMerge`, Envoy Gateway >= 1.8),
//   and otherwise carries every field of it.
// Fields the detected release lacks are left out (versions.ts); applying any EnvoyProxy change rolls the proxy pods.

import { noteType } from '../model/catalogue-entry.ts';
import type { EvidenceValue, Explanation, LiveDiff, RenderedFix } from '../model/finding.ts';
import type { KubeObject } from '../model/kubernetes.ts';
import type { Snapshot, SourceObject } from '../model/snapshot.ts';
import { deepMerge } from './changes.ts';
import { type EnvoyProxyChain, envoyProxyChain } from './envoy-proxy-chain.ts';
import { note } from './fix-kind.ts';
import { type EnvoyProxyPatch, objectName } from './gateway-objects.ts';
import { diffJson } from './json-diff.ts';
import type { RenderedChangeSet } from './renderer.ts';
import { describeVersion, type DetectedVersion, ENVOY_GATEWAY_SINCE, type GatedFeature, gateFragment, minimumNote, supports } from './versions.ts';
import { yamlText } from './yaml-text.ts';

type Obj = Record<string, unknown>;

type V = EvidenceValue;

// The EnvoyProxy that wins, patched: the Gateway's own, the GatewayClass's shared one, or one known by name only.
const PATCHES_GATEWAY_PROXY = noteType<{ envoyProxy: V; gateway: V; classProxy?: V; mergeType?: V }>()(
  'envoyproxy-patches-gateway-proxy',
  "this is the live EnvoyProxy {envoyProxy} that Gateway {gateway} references, with the fields added and everything it sets kept: it is the one that applies[?, over its GatewayClass's {classProxy}][?, merged over it by mergeType {mergeType}]",
);
const PATCHES_SHARED_PROXY = noteType<{ envoyProxy: V; gatewayClass: V; gateway: V }>()(
  'envoyproxy-patches-shared-proxy',
  'this is the live EnvoyProxy {envoyProxy} of GatewayClass {gatewayClass}, with the fields added and everything it sets kept: it sets mergeGateways, so every Gateway of the class shares its proxies and the EnvoyProxy a Gateway references is ignored; the change applies to every Gateway of the class, {gateway} included',
);
const PATCHES_NAMED_PROXY = noteType<{ envoyProxy: V; gateway: V }>()(
  'envoyproxy-patches-named-proxy',
  'Gateway {gateway} references EnvoyProxy {envoyProxy}, which was not read: this merge patch sets only these fields and keeps the rest of it (kubectl patch --type merge)',
);
// A new Gateway-level EnvoyProxy: the Gateway must reference it, and how the GatewayClass's fields still apply.
const REFERENCE = noteType<{ gateway: V; envoyProxy: V }>()(
  'envoyproxy-reference',
  'reference EnvoyProxy {envoyProxy} from Gateway {gateway} (spec.infrastructure.parametersRef), or add the field to the EnvoyProxy its GatewayClass already references',
);
const MERGES_BY_CLASS_MERGE_TYPE = noteType<{ gateway: V; classProxy: V; mergeType: V }>()(
  'envoyproxy-merges-by-class-merge-type',
  "Gateway {gateway} has no EnvoyProxy of its own; its GatewayClass's {classProxy} sets mergeType {mergeType}, so a Gateway-level one merges over it: this one sets only the fix's fields",
);
const MERGES_GATEWAYCLASS_PROXY = noteType<{ classProxy: V; version: V }>()(
  'envoyproxy-merges-gatewayclass-proxy',
  "a Gateway-level EnvoyProxy replaces its GatewayClass's {classProxy} whole unless it sets mergeType: this one sets mergeType: StrategicMerge (Envoy Gateway >= 1.8; detected: {version}), so every field of {classProxy} still applies and only the fix's fields override it",
);
const CARRIES_GATEWAYCLASS_PROXY = noteType<{ classProxy: V; since: V; version: V }>()(
  'envoyproxy-carries-gatewayclass-proxy',
  "a Gateway-level EnvoyProxy replaces its GatewayClass's {classProxy} whole: this one carries every field of it, so nothing it sets is lost (Envoy Gateway >= {since} could merge it with mergeType instead; detected: {version}). Keep the two in step, or drop this one's copy once mergeType is available",
);
const MERGES_UNREAD_GATEWAYCLASS = noteType<{ gateway: V; version: V }>()(
  'envoyproxy-merges-unread-gatewayclass',
  'the GatewayClass of {gateway} and the EnvoyProxy it may reference were not read: this one sets mergeType: StrategicMerge (Envoy Gateway >= 1.8; detected: {version}), so any fields of that one still apply beneath it',
);
const REPLACES_GATEWAYCLASS = noteType<{ gateway: V; since: V; version: V }>()(
  'envoyproxy-replaces-gatewayclass',
  'the GatewayClass of {gateway} and the EnvoyProxy it may reference were not read: a Gateway-level EnvoyProxy replaces that one whole, so copy its fields into this one (or add these fields to it instead); from Envoy Gateway {since} mergeType: StrategicMerge merges them instead (detected: {version})',
);
/** Every EnvoyProxy change rolls the proxy pods. */
const ROLLOUT_CLOSES_CONNECTIONS = noteType<{ gateway: V }>()(
  'envoyproxy-rollout-closes-connections',
  'changing the EnvoyProxy of {gateway} rolls its proxy pods: every open WebSocket and long-lived stream is closed once (after the drain time), so apply it in a quiet window',
);

/** The note types declared here. */
export const NOTE_TYPES = [
  PATCHES_GATEWAY_PROXY,
  PATCHES_SHARED_PROXY,
  PATCHES_NAMED_PROXY,
  REFERENCE,
  MERGES_BY_CLASS_MERGE_TYPE,
  MERGES_GATEWAYCLASS_PROXY,
  CARRIES_GATEWAYCLASS_PROXY,
  MERGES_UNREAD_GATEWAYCLASS,
  REPLACES_GATEWAYCLASS,
  ROLLOUT_CLOSES_CONNECTIONS,
];

/** The object the changes land in, what it starts from, and why. */
interface Basis {
  namespace: string;
  name: string;
  /** The live object patched (kept whole), or none for a new one. */
  live?: KubeObject;
  /** A Gateway's EnvoyProxy known by name only: a merge patch of the fields. */
  byName?: boolean;
  /** The fields a new object starts from (the GatewayClass's it carries, or mergeType). */
  start: Obj;
  notes: Explanation[];
}

const key = (o: { namespace?: string | undefined; name: string }) => `${o.namespace ?? ''}/${o.name}`;

/** A new Gateway-level EnvoyProxy: what it starts from so the GatewayClass's fields still apply, and the note that says how. */
function newProxyBasis(chain: EnvoyProxyChain, gateway: SourceObject, version: DetectedVersion, needs: GatedFeature[]): Basis {
  const name = objectName(gateway.name, 'proxy');
  const notes: Explanation[] = [note(REFERENCE, { gateway: key(gateway), envoyProxy: name })];
  const basis: Basis = { namespace: gateway.namespace, name, start: {}, notes };
  const described = describeVersion(version);
  const classProxy = chain.classProxy ? key(chain.classProxy.metadata) : undefined;
  if (chain.classKnown && !classProxy) return basis;
  if (classProxy && chain.mergeType) {
    notes.push(note(MERGES_BY_CLASS_MERGE_TYPE, { gateway: key(gateway), classProxy, mergeType: chain.mergeType }));
    return basis;
  }
  if (supports(version, 'EnvoyProxy.spec.mergeType') === 'yes') {
    basis.start = { mergeType: 'StrategicMerge' };
    needs.push('EnvoyProxy.spec.mergeType');
    notes.push(
      classProxy
        ? note(MERGES_GATEWAYCLASS_PROXY, { classProxy, version: described })
        : note(MERGES_UNREAD_GATEWAYCLASS, { gateway: key(gateway), version: described }),
    );
    return basis;
  }
  const since = ENVOY_GATEWAY_SINCE['EnvoyProxy.spec.mergeType'];
  if (!classProxy) {
    notes.push(note(REPLACES_GATEWAYCLASS, { gateway: key(gateway), since, version: described }));
    return basis;
  }
  const { mergeGateways: _shared, ...carried } = structuredClone(chain.classProxy?.spec ?? {});
  basis.start = carried;
  notes.push(note(CARRIES_GATEWAYCLASS_PROXY, { classProxy, since, version: described }));
  return basis;
}

/** The EnvoyProxy that wins for a Gateway's proxies, or the new one to add, with the note that says which and why. */
function basisOf(chain: EnvoyProxyChain, gateway: SourceObject, version: DetectedVersion, needs: GatedFeature[]): Basis {
  const at = (ref: { namespace: string; name: string }) => ({ namespace: ref.namespace, name: ref.name });
  if (chain.mergeGateways && chain.classProxy) {
    const live = chain.classProxy;
    const values = { envoyProxy: key(live.metadata), gatewayClass: chain.className ?? '', gateway: key(gateway) };
    return { ...at({ namespace: live.metadata.namespace ?? '', name: live.metadata.name }), live, start: {}, notes: [note(PATCHES_SHARED_PROXY, values)] };
  }
  if (chain.gatewayProxy && chain.gatewayRef) {
    const classProxy = chain.classProxy ? key(chain.classProxy.metadata) : null;
    const values = { envoyProxy: key(chain.gatewayRef), gateway: key(gateway), classProxy, mergeType: classProxy ? (chain.mergeType ?? null) : null };
    return { ...at(chain.gatewayRef), live: chain.gatewayProxy, start: {}, notes: [note(PATCHES_GATEWAY_PROXY, values)] };
  }
  if (chain.gatewayRef) {
    return {
      ...at(chain.gatewayRef),
      byName: true,
      start: {},
      notes: [note(PATCHES_NAMED_PROXY, { envoyProxy: key(chain.gatewayRef), gateway: key(gateway) })],
    };
  }
  return newProxyBasis(chain, gateway, version, needs);
}

/** The patches' fields the release has, and notes on those it lacks (a change's fields are left out together). */
function gatedSpec(group: EnvoyProxyPatch[], version: DetectedVersion, needs: GatedFeature[], notes: Explanation[]): Obj {
  const spec: Obj = {};
  for (const p of group) {
    const gated = gateFragment('EnvoyProxy', p.spec, version);
    notes.push(...gated.leftOut);
    needs.push(...gated.needs);
    if (gated.leftOut.length === 0) deepMerge(spec, p.spec);
  }
  return spec;
}

/** What the fix changes in the live object that wins: the patched one, else the GatewayClass's a new one merges over. */
function liveDiffOf(basis: Basis, chain: EnvoyProxyChain, spec: Obj): LiveDiff | undefined {
  if (basis.live) return { object: `EnvoyProxy ${key(basis.live.metadata)}`, changes: diffJson(basis.live.spec ?? {}, spec) };
  const under = chain.classProxy;
  if (basis.byName || !under) return undefined;
  // In effect once applied: this object over the class's (a carried copy merges to itself), mergeType aside.
  const { mergeType: _how, ...fields } = spec;
  return { object: `EnvoyProxy ${key(under.metadata)}`, changes: diffJson(under.spec ?? {}, deepMerge(structuredClone(under.spec ?? {}), fields)) };
}

/** One Gateway's EnvoyProxy carrying all of its patches, or nothing when the release has none of their fields. */
function envoyProxyObject(s: Snapshot, group: EnvoyProxyPatch[], version: DetectedVersion): RenderedChangeSet | undefined {
  const gateway = (group[0] as EnvoyProxyPatch).gateway;
  const needs: GatedFeature[] = [];
  const leftOut: Explanation[] = [];
  const fields = gatedSpec(group, version, needs, leftOut);
  if (Object.keys(fields).length === 0) return undefined;
  const chain = envoyProxyChain(s, gateway);
  const basis = basisOf(chain, gateway, version, needs);
  const spec = deepMerge(structuredClone(basis.live?.spec ?? basis.start), fields);
  const metadata = { name: basis.name, namespace: basis.namespace, ...(basis.live?.metadata.labels ? { labels: basis.live.metadata.labels } : {}) };
  const object = { apiVersion: basis.live?.apiVersion ?? 'gateway.envoyproxy.io/v1alpha1', kind: 'EnvoyProxy', metadata, spec };
  const notes = [...basis.notes, ...group.flatMap((p) => p.notes), ...leftOut];
  const minimum = minimumNote(needs, describeVersion(version));
  if (minimum) notes.push(minimum);
  // Every EnvoyProxy change rolls the proxy pods.
  notes.push(note(ROLLOUT_CLOSES_CONNECTIONS, { gateway: key(gateway) }));
  const target = `EnvoyProxy ${basis.namespace}/${basis.name}`;
  const liveDiff = liveDiffOf(basis, chain, spec);
  const fix: RenderedFix = {
    flavor: 'envoy-gateway',
    target,
    apply: basis.byName ? 'kubectl-patch' : 'kubectl-apply',
    format: 'yaml',
    text: yamlText(basis.byName ? { spec } : object),
    notes,
    ...(liveDiff ? { liveDiff } : {}),
  };
  return { fix, changes: group.flatMap((p) => p.changes) };
}

/** One EnvoyProxy per Gateway carrying every patch for it. */
export function envoyProxyObjects(s: Snapshot, patches: EnvoyProxyPatch[], version: DetectedVersion): RenderedChangeSet[] {
  const byGateway = new Map<string, EnvoyProxyPatch[]>();
  for (const p of patches) byGateway.set(key(p.gateway), [...(byGateway.get(key(p.gateway)) ?? []), p]);
  return [...byGateway.values()].flatMap((group) => envoyProxyObject(s, group, version) ?? []);
}
