// The Envoy Gateway objects a resource was translated from: those named in its `filter_metadata["envoy-gateway"]`
// (internal/xds/translator), and the xRoute rule or Gateway listener its name stands for.

import type { SourceObject } from '../model/snapshot.ts';
import { arr, type Obj, str } from './proto-json.ts';

/** Envoy Gateway's name of a cluster or route translated from an xRoute rule: `httproute/<ns>/<name>/rule/<i>`. */
export const GATEWAY_ROUTE_CLUSTER = /^(httproute|grpcroute|tcproute|tlsroute|udproute)\/([^/]+)\/([^/]+)\/rule\/(\d+)/;

/**
 * Objects named in `filter_metadata["envoy-gateway"].resources` (Envoy Gateway >= 1.1), or in its `policies` (>= 1.7:
 * the policies applied to the resource, internal/xds/translator).
 */
export function gatewayResources(resource: Obj, list: 'resources' | 'policies' = 'resources'): SourceObject[] {
  const out: SourceObject[] = [];
  for (const r of arr(resource, 'metadata', 'filter_metadata', 'envoy-gateway', list)) {
    const kind = str(r, 'kind');
    const name = str(r, 'name');
    if (!kind || !name) continue;
    const s: SourceObject = { kind, name, namespace: str(r, 'namespace') ?? '' };
    const section = str(r, 'sectionName') ?? str(r, 'section_name');
    if (section) s.sectionName = section;
    out.push(s);
  }
  return out;
}

const ROUTE_KINDS: Record<string, string> = {
  httproute: 'HTTPRoute',
  grpcroute: 'GRPCRoute',
  tcproute: 'TCPRoute',
  tlsroute: 'TLSRoute',
  udproute: 'UDPRoute',
};

/** The xRoute rule an Envoy Gateway cluster or route name stands for (`httproute/<ns>/<name>/rule/<i>`). */
function routeRuleFromName(name: string): SourceObject | undefined {
  const m = GATEWAY_ROUTE_CLUSTER.exec(name);
  if (!m) return undefined;
  return { kind: ROUTE_KINDS[m[1] as string] as string, namespace: m[2] as string, name: m[3] as string, rule: Number(m[4]) };
}

/** The Envoy Gateway objects a cluster or route came from: its metadata, and the xRoute rule its name stands for. */
export function sourcesFor(resource: Obj, name: string): SourceObject[] {
  const fromName = routeRuleFromName(name);
  const fromMetadata = gatewayResources(resource);
  if (fromName) {
    const same = fromMetadata.find((s) => s.kind === fromName.kind && s.name === fromName.name && s.namespace === fromName.namespace);
    if (same) same.rule = fromName.rule as number;
    else fromMetadata.unshift(fromName);
  }
  return fromMetadata;
}

/** Envoy Gateway listener names are `<gateway-namespace>/<gateway>/<listener>`: read when the metadata names nothing. */
export function gatewayListenerFromName(name: string): SourceObject[] {
  const parts = name.split('/');
  if (parts.length === 3 && parts.every((p) => p !== '')) {
    return [{ kind: 'Gateway', namespace: parts[0] as string, name: parts[1] as string, sectionName: parts[2] as string }];
  }
  return [];
}
