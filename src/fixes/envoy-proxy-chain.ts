// The EnvoyProxies that configure a Gateway's proxies, as Envoy Gateway resolves them (envoyproxy/gateway v1.9.0
// internal/gatewayapi/contexts.go attachEnvoyProxy, envoyproxy_merge.go MergeEnvoyProxyConfigs, helpers.go
// IsMergeGatewaysEnabled): the EnvoyProxy the Gateway references (`spec.infrastructure.parametersRef`, in the
// Gateway's namespace) wins over its GatewayClass's (`spec.parametersRef`). Without a `mergeType` the winner replaces
// the other whole; with StrategicMerge or JSONMerge (EnvoyProxy `spec.mergeType`, Envoy Gateway >= 1.8: the Gateway's,
// else the class's) it is merged over it, objects field by field and lists replaced. A class EnvoyProxy with
// `mergeGateways: true` makes every Gateway of the class share one proxy fleet, and a Gateway's own reference is
// ignored.

import type { KubeObject } from '../model/kubernetes.ts';
import type { Snapshot, SourceObject } from '../model/snapshot.ts';

/** A reference to an EnvoyProxy. */
interface ProxyRef {
  namespace: string;
  name: string;
}

/** What is known of the EnvoyProxies of one Gateway. */
export interface EnvoyProxyChain {
  /** The EnvoyProxy the Gateway references, and the object when it was read. */
  gatewayRef?: ProxyRef;
  gatewayProxy?: KubeObject;
  /** The Gateway's class, when its GatewayClass was read. */
  className?: string;
  /** The EnvoyProxy the class references, and the object when it was read. */
  classRef?: ProxyRef;
  classProxy?: KubeObject;
  /** Whether the class's EnvoyProxy is known: read, or known to be none (the class was read and references none). */
  classKnown: boolean;
  /** The class's EnvoyProxy sets mergeGateways: a Gateway's own EnvoyProxy is ignored. */
  mergeGateways: boolean;
  /** The mergeType in effect (the Gateway's EnvoyProxy's, else the class's), when it merges rather than replaces. */
  mergeType?: 'StrategicMerge' | 'JSONMerge';
}

const isProxyRef = (ref: { group?: string; kind?: string } | undefined) =>
  ref?.kind === 'EnvoyProxy' && (ref.group === undefined || ref.group === 'gateway.envoyproxy.io');

function findProxy(s: Snapshot, ref: ProxyRef | undefined): KubeObject | undefined {
  return ref ? s.kubernetes?.envoyProxies.find((p) => p.metadata.namespace === ref.namespace && p.metadata.name === ref.name) : undefined;
}

/** What the GatewayClass of a Gateway references, and whether that is known. */
function classSide(s: Snapshot, gw: KubeObject | undefined): Pick<EnvoyProxyChain, 'className' | 'classRef' | 'classProxy' | 'classKnown'> {
  const className = gw?.spec?.gatewayClassName;
  const cls = typeof className === 'string' ? s.kubernetes?.gatewayClasses?.find((c) => c.metadata.name === className) : undefined;
  if (!cls) return { classKnown: false };
  const ref = cls.spec?.parametersRef as { group?: string; kind?: string; name?: string; namespace?: string } | undefined;
  if (!isProxyRef(ref) || ref?.name === undefined || ref.namespace === undefined) return { className: cls.metadata.name, classKnown: true };
  const classRef = { namespace: ref.namespace, name: ref.name };
  const classProxy = findProxy(s, classRef);
  return { className: cls.metadata.name, classRef, ...(classProxy ? { classProxy } : {}), classKnown: classProxy !== undefined };
}

/** The EnvoyProxies of a Gateway, as far as the objects read tell. */
export function envoyProxyChain(s: Snapshot, gateway: SourceObject): EnvoyProxyChain {
  const gw = s.kubernetes?.gateways.find((g) => g.metadata.namespace === gateway.namespace && g.metadata.name === gateway.name);
  const chain: EnvoyProxyChain = { ...classSide(s, gw), mergeGateways: false };
  chain.mergeGateways = chain.classProxy?.spec?.mergeGateways === true;
  const ref = (gw?.spec?.infrastructure as { parametersRef?: { group?: string; kind?: string; name?: string } } | undefined)?.parametersRef;
  if (isProxyRef(ref) && ref?.name !== undefined && !chain.mergeGateways) {
    chain.gatewayRef = { namespace: gateway.namespace, name: ref.name };
    const found = findProxy(s, chain.gatewayRef);
    if (found) chain.gatewayProxy = found;
  }
  const mergeType = chain.gatewayProxy?.spec?.mergeType ?? chain.classProxy?.spec?.mergeType;
  if (mergeType === 'StrategicMerge' || mergeType === 'JSONMerge') chain.mergeType = mergeType;
  return chain;
}
