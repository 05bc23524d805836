// Envoy Gateway objects a fix lands in besides traffic policies: object names, the Gateway a proxy serves, and the
// EnvoyProxy in effect for its proxies (gateway.envoyproxy.io/v1alpha1 EnvoyProxy, envoyproxy/gateway
// api/v1alpha1/envoyproxy_types.go; a Gateway names it in `spec.infrastructure.parametersRef`, its GatewayClass in
// `spec.parametersRef`), whose fields the kinds keep; the object a fix renders for it is envoy-proxy-object.ts's.

import type { Explanation, FixChange } from '../model/finding.ts';
import type { KubeObject } from '../model/kubernetes.ts';
import type { Snapshot, SourceObject } from '../model/snapshot.ts';
import { deepMerge } from './changes.ts';
import { envoyProxyChain } from './envoy-proxy-chain.ts';

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

/**
 * The EnvoyProxy in effect for a Gateway's proxies, when it was read (envoy-proxy-chain.ts): the Gateway's (merged
 * over its GatewayClass's when a mergeType says so), else the class's.
 */
export function liveEnvoyProxy(s: Snapshot, gateway: SourceObject): KubeObject | undefined {
  const chain = envoyProxyChain(s, gateway);
  if (chain.gatewayRef) {
    if (!chain.gatewayProxy || !chain.mergeType || !chain.classProxy) return chain.gatewayProxy;
    return { ...chain.gatewayProxy, spec: deepMerge(structuredClone(chain.classProxy.spec ?? {}), chain.gatewayProxy.spec ?? {}) };
  }
  return chain.classProxy;
}

/** Part of an EnvoyProxy's spec that some changes set, with remarks about it. */
export interface EnvoyProxyPatch {
  gateway: SourceObject;
  spec: Record<string, unknown>;
  notes: Explanation[];
  changes: FixChange[];
}
