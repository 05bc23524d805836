// Envoy Gateway objects a fix lands in besides traffic policies: object names, the Gateway a proxy serves, and the
// EnvoyProxy that configures its proxies, patched in one object whichever root causes need it
// (gateway.envoyproxy.io/v1alpha1 EnvoyProxy, envoyproxy/gateway api/v1alpha1/envoyproxy_types.go; a Gateway names
// it in `spec.infrastructure.parametersRef`).

import { stringify } from 'yaml';
import type { Explanation, FixChange, RenderedFix } from '../model/finding.ts';
import type { KubeObject } from '../model/kubernetes.ts';
import type { Snapshot, SourceObject } from '../model/snapshot.ts';
import { deepMerge } from './changes.ts';
import { diffJson } from './json-diff.ts';
import type { RenderedChangeSet } from './renderer.ts';

/** Kubernetes object names: lowercase RFC 1123, at most 253 characters. */
export function objectName(...parts: string[]): string {
  return parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 253);
}

/** The Gateway behind a listener (its Envoy Gateway source object with the listener's section name). */
export function gatewayListenerOf(s: Snapshot, listener: string): SourceObject | undefined {
  return s.listeners.find((l) => l.name === listener)?.sources.find((o) => o.kind === 'Gateway' && o.sectionName !== undefined);
}

/** The Gateway a proxy serves: from its listeners' source objects, or its owner (`gateway ns/name`). */
export function gatewayOf(s: Snapshot): SourceObject | undefined {
  for (const l of s.listeners) {
    const gw = l.sources.find((o) => o.kind === 'Gateway');
    if (gw) return gw;
  }
  const m = /^gateway ([^/]+)\/(.+)$/.exec(s.owner ?? '');
  return m ? { kind: 'Gateway', namespace: m[1] as string, name: m[2] as string } : undefined;
}

/** The live EnvoyProxy the Gateway's `infrastructure.parametersRef` names, when it was read. */
export function liveEnvoyProxy(s: Snapshot, gateway: SourceObject): KubeObject | undefined {
  const gw = s.kubernetes?.gateways.find((g) => g.metadata.namespace === gateway.namespace && g.metadata.name === gateway.name);
  const ref = (gw?.spec?.infrastructure as { parametersRef?: { kind?: string; name?: string } } | undefined)?.parametersRef;
  if (ref?.kind !== 'EnvoyProxy' || ref.name === undefined) return undefined;
  return s.kubernetes?.envoyProxies.find((p) => p.metadata.namespace === gateway.namespace && p.metadata.name === ref.name);
}

/** Part of an EnvoyProxy's spec that some changes set, with remarks about it. */
export interface EnvoyProxyPatch {
  gateway: SourceObject;
  spec: Record<string, unknown>;
  notes: Explanation[];
  changes: FixChange[];
}

/**
 * One EnvoyProxy per Gateway carrying every patch for it: the live one with its fields kept when the Gateway names
 * one that was read, else a new one the Gateway must reference.
 */
export function envoyProxyObjects(s: Snapshot, patches: EnvoyProxyPatch[]): RenderedChangeSet[] {
  const byGateway = new Map<string, EnvoyProxyPatch[]>();
  for (const p of patches) {
    const key = `${p.gateway.namespace}/${p.gateway.name}`;
    byGateway.set(key, [...(byGateway.get(key) ?? []), p]);
  }
  return [...byGateway.values()].map((group) => {
    const gateway = (group[0] as EnvoyProxyPatch).gateway;
    const live = liveEnvoyProxy(s, gateway);
    const name = live?.metadata.name ?? objectName(gateway.name, 'proxy');
    const spec: Record<string, unknown> = { ...(live?.spec ?? {}) };
    for (const p of group) deepMerge(spec, p.spec);
    const metadata = { name, namespace: gateway.namespace, ...(live?.metadata.labels ? { labels: live.metadata.labels } : {}) };
    const object = { apiVersion: live?.apiVersion ?? 'gateway.envoyproxy.io/v1alpha1', kind: 'EnvoyProxy', metadata, spec };
    const notes: RenderedFix['notes'] = live
      ? [{ code: 'patches-winning-policy', values: { policy: `${gateway.namespace}/${name}` } }]
      : [
          { code: 'envoyproxy-reference', values: { gateway: `${gateway.namespace}/${gateway.name}`, envoyProxy: name } },
          // The GatewayClass's EnvoyProxy is never read: a Gateway-level one replaces it unless merged.
          { code: 'envoyproxy-replaces-gatewayclass', values: { gateway: `${gateway.namespace}/${gateway.name}` } },
        ];
    for (const p of group) notes.push(...p.notes);
    // Every EnvoyProxy change rolls the proxy pods.
    notes.push({ code: 'envoyproxy-rollout-closes-connections', values: { gateway: `${gateway.namespace}/${gateway.name}` } });
    const fix: RenderedFix = { flavor: 'envoy-gateway', target: `EnvoyProxy ${gateway.namespace}/${name}`, apply: 'kubectl-apply', format: 'yaml', text: stringify(object, { lineWidth: 0 }), notes };
    if (live) fix.liveDiff = { object: `EnvoyProxy ${gateway.namespace}/${name}`, changes: diffJson(live.spec ?? {}, spec) };
    return {
      fix,
      changes: group.flatMap((p) => p.changes),
    };
  });
}
