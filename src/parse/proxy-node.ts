// What a bootstrap says about the proxy itself (`node`, api/envoy/config/core/v3/base.proto Node): its id, and for
// Istio the workload's pod labels and name from the node metadata Istio's agent writes (`LABELS`, `WORKLOAD_NAME`,
// pilot/pkg/model/context.go NodeMetadata).

import type { ProxyNode } from '../model/snapshot.ts';
import { obj, type Obj, str } from './proto-json.ts';

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
