// The EnvoyProxy a Gateway's EnvoyProxy changes land in (gateway.envoyproxy.io/v1alpha1 EnvoyProxy), one object per
// Gateway carrying every change for it, computed against the EnvoyProxy that wins (envoy-proxy-chain.ts):
// - the Gateway's own EnvoyProxy, when it references one: patched, every field it sets kept;
// - the GatewayClass's, when that one sets mergeGateways (a Gateway's own is then ignored): patched likewise;
// - else a new Gateway-level EnvoyProxy the Gateway must reference. It would replace the GatewayClass's whole, so it
//   merges over it where a mergeType applies (the class's own, or `mergeType: StrategicMerge`, Envoy Gateway >= 1.8),
//   and otherwise carries every field of it.
// Fields the detected release lacks are left out (versions.ts); applying any EnvoyProxy change rolls the proxy pods.

import { stringify } from 'yaml';
import type { Explanation, LiveDiff, RenderedFix } from '../model/finding.ts';
import type { KubeObject } from '../model/kubernetes.ts';
import type { Snapshot, SourceObject } from '../model/snapshot.ts';
import { deepMerge } from './changes.ts';
import { type EnvoyProxyChain, envoyProxyChain } from './envoy-proxy-chain.ts';
import { type EnvoyProxyPatch, objectName } from './gateway-objects.ts';
import { diffJson } from './json-diff.ts';
import type { RenderedChangeSet } from './renderer.ts';
import { describeVersion, type DetectedVersion, ENVOY_GATEWAY_SINCE, type GatedFeature, gateFragment, minimumNote, supports } from './versions.ts';

type Obj = Record<string, unknown>;

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
  const notes: Explanation[] = [{ code: 'envoyproxy-reference', values: { gateway: key(gateway), envoyProxy: name } }];
  const basis: Basis = { namespace: gateway.namespace, name, start: {}, notes };
  const described = describeVersion(version);
  const classProxy = chain.classProxy ? key(chain.classProxy.metadata) : undefined;
  if (chain.classKnown && !classProxy) return basis;
  if (classProxy && chain.mergeType) {
    notes.push({ code: 'envoyproxy-merges-by-class-merge-type', values: { gateway: key(gateway), classProxy, mergeType: chain.mergeType } });
    return basis;
  }
  if (supports(version, 'EnvoyProxy.spec.mergeType') === 'yes') {
    basis.start = { mergeType: 'StrategicMerge' };
    needs.push('EnvoyProxy.spec.mergeType');
    notes.push(classProxy ? { code: 'envoyproxy-merges-gatewayclass-proxy', values: { classProxy, version: described } } : { code: 'envoyproxy-merges-unread-gatewayclass', values: { gateway: key(gateway), version: described } });
    return basis;
  }
  const since = ENVOY_GATEWAY_SINCE['EnvoyProxy.spec.mergeType'];
  if (!classProxy) {
    notes.push({ code: 'envoyproxy-replaces-gatewayclass', values: { gateway: key(gateway), since, version: described } });
    return basis;
  }
  const { mergeGateways: _shared, ...carried } = structuredClone(chain.classProxy?.spec ?? {});
  basis.start = carried;
  notes.push({ code: 'envoyproxy-carries-gatewayclass-proxy', values: { classProxy, since, version: described } });
  return basis;
}

/** The EnvoyProxy that wins for a Gateway's proxies, or the new one to add, with the note that says which and why. */
function basisOf(chain: EnvoyProxyChain, gateway: SourceObject, version: DetectedVersion, needs: GatedFeature[]): Basis {
  const at = (ref: { namespace: string; name: string }) => ({ namespace: ref.namespace, name: ref.name });
  if (chain.mergeGateways && chain.classProxy) {
    const live = chain.classProxy;
    const values = { envoyProxy: key(live.metadata), gatewayClass: chain.className ?? '', gateway: key(gateway) };
    return { ...at({ namespace: live.metadata.namespace ?? '', name: live.metadata.name }), live, start: {}, notes: [{ code: 'envoyproxy-patches-shared-proxy', values }] };
  }
  if (chain.gatewayProxy && chain.gatewayRef) {
    const classProxy = chain.classProxy ? key(chain.classProxy.metadata) : null;
    const values = { envoyProxy: key(chain.gatewayRef), gateway: key(gateway), classProxy, mergeType: classProxy ? (chain.mergeType ?? null) : null };
    return { ...at(chain.gatewayRef), live: chain.gatewayProxy, start: {}, notes: [{ code: 'envoyproxy-patches-gateway-proxy', values }] };
  }
  if (chain.gatewayRef) {
    return { ...at(chain.gatewayRef), byName: true, start: {}, notes: [{ code: 'envoyproxy-patches-named-proxy', values: { envoyProxy: key(chain.gatewayRef), gateway: key(gateway) } }] };
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
  notes.push({ code: 'envoyproxy-rollout-closes-connections', values: { gateway: key(gateway) } });
  const target = `EnvoyProxy ${basis.namespace}/${basis.name}`;
  const liveDiff = liveDiffOf(basis, chain, spec);
  const fix: RenderedFix = {
    flavor: 'envoy-gateway',
    target,
    apply: basis.byName ? 'kubectl-patch' : 'kubectl-apply',
    format: 'yaml',
    text: stringify(basis.byName ? { spec } : object, { lineWidth: 0 }),
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
