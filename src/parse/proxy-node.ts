// What a bootstrap says about the proxy itself (`node`, api/envoy/config/core/v3/base.proto Node): its id, and for
// Istio the workload's pod labels and name from the node metadata Istio's agent writes (`LABELS`, `WORKLOAD_NAME`,
// pilot/pkg/model/context.go NodeMetadata); the pod and namespace an Istio node id names; and Envoy's version from the
// node's `user_agent_build_version` (BuildVersion, same proto).

import type { ProxyNode } from '../model/snapshot.ts';
import { num, obj, type Obj, str } from './proto-json.ts';
import { releaseOfBuildVersion } from './server-info.ts';

/** The proxy's node, when the bootstrap names it. */
export function proxyNode(bootstrap: Obj | undefined): ProxyNode | undefined {
  const node = obj(bootstrap, 'node');
  const id = str(node, 'id');
  if (!node || id === undefined) return undefined;
  const out: ProxyNode = { id };
  // Metadata is a Struct: its keys are Istio's own, never translated between spellings.
  const metadata = obj(node, 'metadata');
  const labels = metadata?.LABELS;
  if (labels && typeof labels === 'object' && !Array.isArray(labels)) {
    const strings = Object.entries(labels as Obj).filter((e): e is [string, string] => typeof e[1] === 'string');
    if (strings.length > 0) out.labels = Object.fromEntries(strings);
  }
  if (typeof metadata?.WORKLOAD_NAME === 'string') out.workloadName = metadata.WORKLOAD_NAME;
  return out;
}

/**
 * The proxy's name from its node id: the pod of an Istio node id (`sidecar~10.0.0.1~web-1.shop~shop.svc.cluster.local`
 * is `web-1`; its namespace is read apart), else the node id itself (Envoy Gateway's is the pod name).
 */
export function proxyNameOfNode(nodeId: string): string {
  const istio = /^(?:sidecar|router|waypoint|ztunnel)~[^~]*~([^~.]+)\.[^~]*~/.exec(nodeId);
  return istio?.[1] ?? nodeId;
}

/** The namespace in an Istio node id: `sidecar~10.0.0.1~web-1.shop~shop.svc.cluster.local`. */
export function istioNamespace(bootstrap: Obj | undefined): string | undefined {
  const id = str(bootstrap, 'node', 'id') ?? '';
  const m = /^(?:sidecar|router|waypoint)~[^~]*~[^~.]+\.([^~]+)~/.exec(id);
  return m?.[1] ?? (str(bootstrap, 'node', 'metadata', 'NAMESPACE') || undefined);
}

/** Envoy's version from the bootstrap node: `user_agent_build_version`, or the legacy `build_version` string (Envoy <= 1.14). */
export function envoyVersion(bootstrap: Obj): string | undefined {
  const v = obj(bootstrap, 'node', 'user_agent_build_version', 'version');
  if (!v) {
    const legacy = str(bootstrap, 'node', 'build_version');
    return legacy === undefined ? undefined : releaseOfBuildVersion(legacy);
  }
  return `${num(v, 'major_number') ?? 0}.${num(v, 'minor_number') ?? 0}.${num(v, 'patch') ?? 0}`;
}
