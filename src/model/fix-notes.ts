// Catalogue entries for the coded notes the fix renderers (src/fixes) attach to rendered fixes (kind `note`);
// src/model/catalogue.ts lists them with the rest of the catalogue.

import type { CatalogueEntry } from './catalogue-entry.ts';

const note = (id: string, message: string): CatalogueEntry => ({ id, kind: 'note', status: 'active', title: id, message });

export const FIX_NOTES: readonly CatalogueEntry[] = [
  // Plain Envoy
  note(
    'envoy-live-object-not-kept',
    "the live {resource} was not kept from the config dump (envoy-doctor keeps about 16 MiB of a dump's resources whole): merge the fragment into it by hand, keeping every field it has",
  ),
  note(
    'envoy-merged-this-fix',
    "merged is the live listener {listener} with this fix's changes only: where several fixes change the listener (its own fields, a connection manager, a TCP proxy), merge each fragment into the listener in turn, or apply one merged object and merge the other fragments into it",
  ),
  note('envoy-field-replaced', 'merged into the live {resource}, the fix replaces {field} on purpose: the merged object leaves it out'),
  note('envoy-change-not-applicable', '{change} does not apply to the live {resource} (a route that redirects or responds directly forwards nothing): it is left as it is'),
  note('envoy-listener-tcp-keepalive', 'Envoy {envoyVersion} has Listener.tcp_keepalive (Envoy >= 1.37): it is set instead of keepalive socket options'),
  note(
    'envoy-listener-keepalive-socket-options',
    "listener keepalive as socket options (Envoy {envoyVersion}): merged by level and name, the listener's other socket options kept; from Envoy 1.37 Listener.tcp_keepalive does the same",
  ),
  // Cost, every flavor
  note(
    'buffer-raise-cost',
    "a buffer limit is per connection: {limitBytes} on {resource} costs up to {worstCaseBytes} with its {connections} open connections if all fill at once (a proxied stream holds one on the listener side and one on the cluster side). Envoy's overload manager, where one watches the heap, stops accepting connections or requests and can reset the streams that buffer most (envoy.overload_actions.reset_high_memory_stream): these long-lived ones first",
  ),
  note(
    'buffer-raise-cost-unknown',
    "a buffer limit is per connection: {limitBytes} on {resource} costs up to that much per open connection (the stats gave no count of them), on the listener side and the cluster side of each proxied stream. Envoy's overload manager, where one watches the heap, stops accepting connections or requests and can reset the streams that buffer most (envoy.overload_actions.reset_high_memory_stream)",
  ),
  note(
    'buffer-raise-cost-per-pod',
    "a buffer limit is per connection: {limitBytes} on {resource} costs up to that much per connection open through it on each proxy it was seen on (their stats give each one's count), on the listener side and the cluster side of each proxied stream. Envoy's overload manager, where one watches the heap, stops accepting connections or requests and can reset the streams that buffer most (envoy.overload_actions.reset_high_memory_stream)",
  ),
  note(
    'max-stream-duration-still-ends-streams',
    "max_stream_duration raised to {maxStreamMs} on {listener} still resets every WebSocket at that age; a route's own max_stream_duration (RouteAction.max_stream_duration.max_stream_duration: 0s; Envoy Gateway BackendTrafficPolicy timeout.http.maxStreamDuration: 0s) lifts it for that route only",
  ),
  // Envoy Gateway
  note(
    'client-policy-carries-gateway-policy',
    'a ClientTrafficPolicy for listener {listener} replaces the Gateway-wide {policy} on that listener (ClientTrafficPolicy has no mergeType), so this one carries every field {policy} sets besides the fix; a later change to {policy} no longer reaches {listener}',
  ),
  note(
    'backend-policy-carries-gateway-policy',
    'a route-level BackendTrafficPolicy replaces the Gateway-level {policy} for the route, and Envoy Gateway {version} has no mergeType (>= 1.4): this one carries every field {policy} sets besides the fix',
  ),
  note(
    'policy-merges-with-gateway-policy',
    'mergeType: StrategicMerge merges this policy into the Gateway-level {policy} for {route}, so its fields still apply (Envoy Gateway >= 1.4); a list this policy sets, such as httpUpgrade, replaces the one in {policy}, so its entries are repeated here',
  ),
  note(
    'gateway-policy-not-in-proxy',
    "{policy} already sets {fields} and is Accepted at its generation {generation}; no policy for {route} overrides it[? (its Overridden condition names only {overriddenFor})], so it applies there. Yet cluster {cluster} does not carry it: the proxy does not run what the controller accepted. This is {policy} as it is, and applying it changes nothing: find why the proxy lacks it (egctl config envoy-proxy cluster beside egctl x translate of these objects, the controller's logs) rather than add a route-level policy, which would hide it",
  ),
  note('policy-field-removed', '{field} is removed from {policy}: unset means unlimited (or, for requestBuffer, no buffering)'),
  note(
    'request-buffer-dropped-for-upgrade',
    'requestBuffer is removed from {policy}: from Envoy Gateway {since} a policy with both requestBuffer and httpUpgrade is refused, and buffered routes lose their WebSocket upgrade (clients get 403 upgrade_failed)',
  ),
  note('parent-policy-request-buffer', 'the Gateway-level {policy} sets requestBuffer, which merges into this policy beside httpUpgrade: remove it there, or Envoy Gateway >= 1.8 refuses the merged policy'),
  note(
    'request-timeout-zero-disables-idle',
    "requestTimeout: 0s also sets the route's idle_timeout to 0 in Envoy Gateway: the stream idle timeout no longer ends quiet streams on the route, so a dead peer's WebSocket stays open until TCP keepalive or the connection idle timeout finds it",
  ),
  note(
    'httproute-timeout-wins',
    "rule {rule} of HTTPRoute {route} sets timeouts.request ({was}), which wins over any BackendTrafficPolicy requestTimeout: the rule's own timeout is set to {timeout} instead",
  ),
  note(
    'httproute-timeout-may-win',
    "rule {rule} of HTTPRoute {route} wins over any BackendTrafficPolicy requestTimeout if it sets timeouts.request, which the proxy's configuration cannot tell (no Kubernetes objects were read): if it does, set it there instead, kubectl -n {namespace} patch httproute {name} --type json -p '[{\"op\":\"add\",\"path\":\"/spec/rules/{rule}/timeouts/request\",\"value\":\"{timeout}\"}]'",
  ),
  note('envoy-gateway-field-left-out', '{field} is left out: it needs Envoy Gateway >= {since}, and this one is {version}'),
  note('envoy-gateway-minimum-version', 'needs Envoy Gateway >= {minimum} for {fields} (detected: {version}); an older release rejects or ignores them'),
  // Which EnvoyProxy an EnvoyProxy fix is computed against (src/fixes/envoy-proxy-object.ts)
  note(
    'envoyproxy-patches-gateway-proxy',
    "this is the live EnvoyProxy {envoyProxy} that Gateway {gateway} references, with the fields added and everything it sets kept: it is the one that applies[?, over its GatewayClass's {classProxy}][?, merged over it by mergeType {mergeType}]",
  ),
  note(
    'envoyproxy-patches-shared-proxy',
    "this is the live EnvoyProxy {envoyProxy} of GatewayClass {gatewayClass}, with the fields added and everything it sets kept: it sets mergeGateways, so every Gateway of the class shares its proxies and the EnvoyProxy a Gateway references is ignored; the change applies to every Gateway of the class, {gateway} included",
  ),
  note(
    'envoyproxy-patches-named-proxy',
    'Gateway {gateway} references EnvoyProxy {envoyProxy}, which was not read: this merge patch sets only these fields and keeps the rest of it (kubectl patch --type merge)',
  ),
  note(
    'envoyproxy-merges-by-class-merge-type',
    "Gateway {gateway} has no EnvoyProxy of its own; its GatewayClass's {classProxy} sets mergeType {mergeType}, so a Gateway-level one merges over it: this one sets only the fix's fields",
  ),
  note(
    'envoyproxy-merges-gatewayclass-proxy',
    "a Gateway-level EnvoyProxy replaces its GatewayClass's {classProxy} whole unless it sets mergeType: this one sets mergeType: StrategicMerge (Envoy Gateway >= 1.8; detected: {version}), so every field of {classProxy} still applies and only the fix's fields override it",
  ),
  note(
    'envoyproxy-carries-gatewayclass-proxy',
    "a Gateway-level EnvoyProxy replaces its GatewayClass's {classProxy} whole: this one carries every field of it, so nothing it sets is lost (Envoy Gateway >= {since} could merge it with mergeType instead; detected: {version}). Keep the two in step, or drop this one's copy once mergeType is available",
  ),
  note(
    'envoyproxy-merges-unread-gatewayclass',
    'the GatewayClass of {gateway} and the EnvoyProxy it may reference were not read: this one sets mergeType: StrategicMerge (Envoy Gateway >= 1.8; detected: {version}), so any fields of that one still apply beneath it',
  ),
  note(
    'envoyproxy-replaces-gatewayclass',
    "the GatewayClass of {gateway} and the EnvoyProxy it may reference were not read: a Gateway-level EnvoyProxy replaces that one whole, so copy its fields into this one (or add these fields to it instead); from Envoy Gateway {since} mergeType: StrategicMerge merges them instead (detected: {version})",
  ),
  note(
    'envoyproxy-rollout-closes-connections',
    'changing the EnvoyProxy of {gateway} rolls its proxy pods: every open WebSocket and long-lived stream is closed once (after the drain time), so apply it in a quiet window',
  ),
  // Istio
  note('envoyfilter-workload-scoped', 'scoped to the workload this proxy runs ({selector} in {namespace}, from its node metadata) and to its {proxy} context'),
  note(
    'envoyfilter-mesh-wide',
    'the dump names no workload labels and {namespace} is the root namespace: without a workloadSelector this EnvoyFilter applies to every proxy of the mesh; add the workload\'s pod labels before applying it',
  ),
  note(
    'istio-virtualservice-timeout',
    "route {route} is generated from VirtualService {virtualService}: set timeout: {timeout} on its http route there (Istio's own field); this EnvoyFilter patch does the same meanwhile and should be removed then",
  ),
  note(
    'istio-patch-destination-rule',
    'DestinationRule {destinationRule} already configures {host}: this merge patch sets connectionPool on its trafficPolicy and keeps every other field (kubectl -n <namespace> patch destinationrule <name> --type merge --patch-file FILE); a portLevelSettings entry for port {port} there overrides it',
  ),
  note('istio-one-destination-rule-per-host', 'Istio applies one DestinationRule per host: if one for {host} already exists (the dump shows none on this cluster), add these settings to it instead'),
  // The overload manager (src/fixes/overload-manager.ts, kinds overload-max-heap and overload-connection-limit)
  note('overload-manager-needs-restart', "the overload manager is read from the bootstrap at start: restart (or hot-restart) Envoy with it; the list keeps every monitor in effect, the actions are left as they are"),
  note(
    'heap-maximum-under-memory-limit',
    'max_heap_size_bytes {maxHeapBytes} is what the pressure is measured against, not memory Envoy reserves: the container or host must have that much for Envoy, with room above it (Envoy Gateway makes the maximum 80% of the memory limit)',
  ),
  note(
    'fixed-heap-use-allocated',
    'the heap monitor counts the heap the allocator keeps after connections close (reserved, less unmapped and free pages), so its pressure stays up once WebSockets are gone and the shedding goes on; Envoy {envoyVersion} can count allocated bytes instead with the runtime flag envoy.reloadable_features.fixed_heap_use_allocated: true (lab: after 300 WebSockets closed, 23% of the maximum by default, 9% with the flag, Envoy 1.40.0)',
  ),
  note(
    'envoy-gateway-heap-from-memory-limit',
    'Envoy Gateway makes the heap monitor maximum 80% of the proxy container memory limit: a limit of {memoryBytes} gives a maximum of {maxHeapBytes}; the memory request stays as it is (keep it at or below the limit)',
  ),
  note(
    'connection-limit-under-file-descriptors',
    "a limit of {connections} {connections|connection|connections} needs that many file descriptors and more for upstream connections: Envoy's docs keep it under half the proxy's file descriptor limit (ulimit -n)",
  ),
  note(
    'connection-monitor-replaces-runtime-key',
    'the limit is now the runtime key overload.global_downstream_max_connections ({runtimeLimit}), which is deprecated: the connections monitor added here wins over it, and the key can be removed',
  ),
  note(
    'envoyproxy-bootstrap-type-replaced',
    'the EnvoyProxy already customizes the bootstrap with type {type}: a JSONPatch replaces that type, so carry its changes over as JSON patches (or set max_active_downstream_connections in its value instead)',
  ),
  note(
    'istio-connection-limit-versions',
    'Istio 1.29 and later read proxyMetadata ISTIO_META_GLOBAL_DOWNSTREAM_MAX_CONNECTIONS ({connections}) into the global connection limit, and runtimeValues overload.global_downstream_max_connections when that is not set; before 1.28 the runtime value is the limit itself; 1.28 configures an unlimited connections monitor that neither changes (use a custom bootstrap there)',
  ),
];
