// overload-connection-limit: the global downstream connection limit, the overload manager's
// `envoy.resource_monitors.global_downstream_max_connections` `max_active_downstream_connections`
// (api/envoy/extensions/resource_monitors/downstream_connections/v3/downstream_connections.proto), which wins over the
// deprecated runtime key `overload.global_downstream_max_connections`. Envoy Gateway writes that monitor, at 50000,
// first into every bootstrap (envoyproxy/gateway v1.9.0 internal/xds/bootstrap/bootstrap.yaml.tpl) and has no field
// for it: a JSONPatch of the bootstrap in the EnvoyProxy (api/v1alpha1/envoyproxy_types.go ProxyBootstrap, since 1.2).
// Istio: ProxyConfig `proxyMetadata` ISTIO_META_GLOBAL_DOWNSTREAM_MAX_CONNECTIONS (1.29 and later) and `runtimeValues`
// `overload.global_downstream_max_connections` (read into the monitor from 1.29, the runtime key itself before 1.28;
// istio pkg/bootstrap/config.go, tools/packaging/common/envoy_bootstrap.json).

import { noteType } from '../../model/catalogue-entry.ts';
import type { EvidenceValue, Explanation } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { type FixKind, note } from '../fix-kind.ts';
import { gatewayListenerOf, liveEnvoyProxy } from '../gateway-objects.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** The global downstream connection limit; `listener` leads to the proxy's Gateway. */
    'overload-connection-limit': { listener: string; connections: number };
  }
}

const MONITOR = 'envoy.resource_monitors.global_downstream_max_connections';
/** Where Envoy Gateway's bootstrap holds the limit: its first resource monitor. */
const GATEWAY_PATH = '/overload_manager/resource_monitors/0/typed_config/max_active_downstream_connections';

type JsonPatch = { op: string; path?: string; value?: unknown };

const UNDER_FILE_DESCRIPTORS = noteType<{ connections: EvidenceValue }>()(
  'connection-limit-under-file-descriptors',
  "a limit of {connections} {connections|connection|connections} needs that many file descriptors and more for upstream connections: Envoy's docs keep it under half the proxy's file descriptor limit (ulimit -n)",
);
const REPLACES_RUNTIME_KEY = noteType<{ runtimeLimit: EvidenceValue }>()(
  'connection-monitor-replaces-runtime-key',
  'the limit is now the runtime key overload.global_downstream_max_connections ({runtimeLimit}), which is deprecated: the connections monitor added here wins over it, and the key can be removed',
);
const BOOTSTRAP_TYPE_REPLACED = noteType<{ type: EvidenceValue }>()(
  'envoyproxy-bootstrap-type-replaced',
  'the EnvoyProxy already customizes the bootstrap with type {type}: a JSONPatch replaces that type, so carry its changes over as JSON patches (or set max_active_downstream_connections in its value instead)',
);
const ISTIO_VERSIONS = noteType<{ connections: EvidenceValue }>()(
  'istio-connection-limit-versions',
  'Istio 1.29 and later read proxyMetadata ISTIO_META_GLOBAL_DOWNSTREAM_MAX_CONNECTIONS ({connections}) into the global connection limit, and runtimeValues overload.global_downstream_max_connections when that is not set; before 1.28 the runtime value is the limit itself; 1.28 configures an unlimited connections monitor that neither changes (use a custom bootstrap there)',
);

/** The notes of a plain-Envoy limit: file descriptors, and the runtime key the monitor now replaces. */
function envoyNotes(s: Snapshot, connections: number): Explanation[] {
  const notes: Explanation[] = [note(UNDER_FILE_DESCRIPTORS, { connections })];
  const runtimeLimit = s.overloadManager?.runtimeConnectionLimit;
  if (runtimeLimit !== undefined && !s.overloadManager?.monitors.some((m) => m.name === MONITOR)) notes.push(note(REPLACES_RUNTIME_KEY, { runtimeLimit }));
  return notes;
}

/** The global connection limit, rendered for every flavor. */
export const fixKind: FixKind<'overload-connection-limit'> = {
  kind: 'overload-connection-limit',
  target: () => ({ kind: 'proxy' }),
  envoy: (s, c) => ({
    lands: 'overload-monitor',
    monitor: MONITOR,
    typeUrl: 'type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig',
    field: 'max_active_downstream_connections',
    value: c.connections,
    notes: envoyNotes(s, c.connections),
  }),
  envoyGateway: (s, c) => {
    // The live EnvoyProxy's own bootstrap patches are kept; one on the same path is replaced.
    const gateway = gatewayListenerOf(s, c.listener);
    const bootstrap = (gateway ? liveEnvoyProxy(s, gateway) : undefined)?.spec?.bootstrap as { type?: string; jsonPatches?: JsonPatch[] } | undefined;
    const kept = bootstrap?.type === 'JSONPatch' ? (bootstrap.jsonPatches ?? []).filter((p) => p.path !== GATEWAY_PATH) : [];
    const notes: Explanation[] = [note(UNDER_FILE_DESCRIPTORS, { connections: c.connections })];
    if (bootstrap && bootstrap.type !== 'JSONPatch') notes.push(note(BOOTSTRAP_TYPE_REPLACED, { type: bootstrap.type ?? 'Replace' }));
    return {
      lands: 'envoy-proxy',
      listener: c.listener,
      spec: { bootstrap: { type: 'JSONPatch', jsonPatches: [...kept, { op: 'replace', path: GATEWAY_PATH, value: c.connections }] } },
      notes,
    };
  },
  istio: (_s, c) => ({
    lands: 'proxy-config',
    proxyConfig: {
      proxyMetadata: { ISTIO_META_GLOBAL_DOWNSTREAM_MAX_CONNECTIONS: String(c.connections) },
      runtimeValues: { 'overload.global_downstream_max_connections': String(c.connections) },
    },
    notes: [note(ISTIO_VERSIONS, { connections: c.connections })],
  }),
  noteTypes: [UNDER_FILE_DESCRIPTORS, REPLACES_RUNTIME_KEY, BOOTSTRAP_TYPE_REPLACED, ISTIO_VERSIONS],
};
