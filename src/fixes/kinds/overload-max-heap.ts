// overload-max-heap: the maximum of the overload manager's heap monitor, `envoy.resource_monitors.fixed_heap`
// `max_heap_size_bytes` (api/envoy/extensions/resource_monitors/fixed_heap/v3/fixed_heap.proto). Envoy Gateway
// writes that monitor into the bootstrap only when the proxy container has a memory limit, as 80% of it
// (envoyproxy/gateway v1.9.0 internal/infrastructure/kubernetes/proxy/resource.go calculateMaxHeapSizeBytes,
// internal/xds/bootstrap/bootstrap.yaml.tpl): the fix is the EnvoyProxy's container memory limit. Istio's bootstrap
// has no heap monitor (istio tools/packaging/common/envoy_bootstrap.json): one comes from a custom bootstrap.

import { compareVersions } from '../../model/envoy-version.ts';
import { noteType } from '../../model/catalogue-entry.ts';
import type { EvidenceValue, Explanation } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { type FixKind, note } from '../fix-kind.ts';
import { gatewayListenerOf, liveEnvoyProxy } from '../gateway-objects.ts';
import { quantity } from '../quantity.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** The fixed_heap monitor's `max_heap_size_bytes`; `listener` leads to the proxy's Gateway. */
    'overload-max-heap': { listener: string; bytes: number };
  }
}

const MIB = 1_048_576;

/** The first Envoy with the runtime flag envoy.reloadable_features.fixed_heap_use_allocated (docs/root/version_history). */
const USE_ALLOCATED_SINCE = '1.37.0';

/** The share of the container memory limit Envoy Gateway makes the heap monitor's maximum. */
const ENVOY_GATEWAY_HEAP_SHARE = 0.8;

const UNDER_MEMORY_LIMIT = noteType<{ maxHeapBytes: EvidenceValue }>()(
  'heap-maximum-under-memory-limit',
  'max_heap_size_bytes {maxHeapBytes} is what the pressure is measured against, not memory Envoy reserves: the container or host must have that much for Envoy, with room above it (Envoy Gateway makes the maximum 80% of the memory limit)',
);
const USE_ALLOCATED = noteType<{ envoyVersion: EvidenceValue }>()(
  'fixed-heap-use-allocated',
  'the heap monitor counts the heap the allocator keeps after connections close (reserved, less unmapped and free pages), so its pressure stays up once WebSockets are gone and the shedding goes on; Envoy {envoyVersion} can count allocated bytes instead with the runtime flag envoy.reloadable_features.fixed_heap_use_allocated: true (lab: after 300 WebSockets closed, 23% of the maximum by default, 9% with the flag, Envoy 1.40.0)',
);
const HEAP_FROM_MEMORY_LIMIT = noteType<{ memoryBytes: EvidenceValue; maxHeapBytes: EvidenceValue }>()(
  'envoy-gateway-heap-from-memory-limit',
  'Envoy Gateway makes the heap monitor maximum 80% of the proxy container memory limit: a limit of {memoryBytes} gives a maximum of {maxHeapBytes}; the memory request stays as it is (keep it at or below the limit)',
);

/** The notes of the plain-Envoy maximum: the memory it needs, and on Envoy >= 1.37 the flag that counts allocated bytes. */
function envoyNotes(s: Snapshot, bytes: number): Explanation[] {
  const notes: Explanation[] = [note(UNDER_MEMORY_LIMIT, { maxHeapBytes: bytes })];
  // The monitor counts the heap tcmalloc keeps after frees unless told to count allocated bytes.
  if (s.envoyVersion !== undefined && (compareVersions(s.envoyVersion, USE_ALLOCATED_SINCE) ?? -1) >= 0)
    notes.push(note(USE_ALLOCATED, { envoyVersion: s.envoyVersion }));
  return notes;
}

/** The heap monitor's maximum, rendered where a flavor has a field for it. */
export const fixKind: FixKind<'overload-max-heap'> = {
  kind: 'overload-max-heap',
  target: () => ({ kind: 'proxy' }),
  envoy: (s, c) => ({
    lands: 'overload-monitor',
    monitor: 'envoy.resource_monitors.fixed_heap',
    typeUrl: 'type.googleapis.com/envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig',
    field: 'max_heap_size_bytes',
    value: c.bytes,
    notes: envoyNotes(s, c.bytes),
  }),
  envoyGateway: (s, c) => {
    const memory = Math.ceil(c.bytes / ENVOY_GATEWAY_HEAP_SHARE / MIB) * MIB;
    // The workload kind the live EnvoyProxy runs the proxy as; a Deployment unless it says a DaemonSet.
    const gateway = gatewayListenerOf(s, c.listener);
    const live = gateway ? liveEnvoyProxy(s, gateway) : undefined;
    const provider = live?.spec?.provider as { kubernetes?: { envoyDaemonSet?: unknown } } | undefined;
    const workload = provider?.kubernetes?.envoyDaemonSet !== undefined ? 'envoyDaemonSet' : 'envoyDeployment';
    return {
      lands: 'envoy-proxy',
      listener: c.listener,
      spec: { provider: { type: 'Kubernetes', kubernetes: { [workload]: { container: { resources: { limits: { memory: quantity(memory) } } } } } } },
      notes: [note(HEAP_FROM_MEMORY_LIMIT, { memoryBytes: memory, maxHeapBytes: Math.floor(memory * ENVOY_GATEWAY_HEAP_SHARE) })],
    };
  },
  istio: {
    notRendered:
      "Istio's bootstrap has no heap monitor: a fixed_heap monitor comes from a custom bootstrap (the ConfigMap the pod annotation sidecar.istio.io/bootstrapOverride names), whose max_heap_size_bytes is raised there, with the container's memory limit above it",
  },
  noteTypes: [UNDER_MEMORY_LIMIT, USE_ALLOCATED, HEAP_FROM_MEMORY_LIMIT],
};
