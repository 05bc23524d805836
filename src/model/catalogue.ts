// Catalogue entries still declared in one list, while their analyzers, root causes and fix kinds move to declaring
// them. Ids are stable and never reused. Titles and message templates live here so every reporter says the same thing;
// `{name}` placeholders are filled from a finding's evidence, `{name|one|many}` picks the words that agree with
// its number, and `[?...]` is left out when a value it names was not measured (src/report/format.ts).

import type { CatalogueEntry } from './catalogue-entry.ts';
import { FIX_NOTES } from './fix-notes.ts';

const finding = (id: string, title: string, message: string): CatalogueEntry => ({
  id,
  kind: 'finding',
  status: 'active',
  title,
  message,
  docs: `docs/findings/${id}.md`,
});
const rootCause = (id: string, title: string, message: string): CatalogueEntry => ({
  id,
  kind: 'root-cause',
  status: 'active',
  title,
  message,
  docs: `docs/findings/${id}.md`,
});
const reserved = (id: string, title: string): CatalogueEntry => ({ id, kind: 'root-cause', status: 'reserved', title });
const explanation = (id: string, message: string): CatalogueEntry => ({ id, kind: 'explanation', status: 'active', title: id, message });
const note = (id: string, message: string): CatalogueEntry => ({ id, kind: 'note', status: 'active', title: id, message });

/** Catalogue entries not yet declared by the module they belong to (src/report/catalogue.ts derives the rest). */
export const LEGACY_CATALOGUE: readonly CatalogueEntry[] = [
  // Findings
  finding(
    'upstream-reads-paused',
    'Upstream reads paused by flow control',
    'reads from upstream paused {paused} {paused|time|times}, resumed {resumed}: up to {pausedNowUpperBound} {pausedNowUpperBound|connection|connections} may be paused now',
  ),
  finding(
    'downstream-reads-paused',
    'Downstream reads paused by flow control',
    'reads from clients paused {paused} {paused|time|times}, resumed {resumed}: up to {pausedNowUpperBound} {pausedNowUpperBound|connection|connections} may be paused now',
  ),
  finding(
    'upstream-bytes-buffered',
    'Bytes buffered on upstream connections',
    '{bufferedBytes} buffered over {activeConnections} {activeConnections|connection|connections}, {fullBuffers} {fullBuffers|full buffer|full buffers} of {limitBytes}',
  ),
  finding(
    'downstream-bytes-buffered',
    'Bytes buffered on client connections',
    '{bufferedBytes} buffered over {activeConnections} {activeConnections|connection|connections}, {fullBuffers} {fullBuffers|full buffer|full buffers} of {limitBytes}',
  ),
  finding(
    'upstream-close-with-active-request',
    'Upstream closed connections with a request active (UC)',
    '{count} of {totalCloses} {totalCloses|upstream connection close|upstream connection closes} came from the upstream with a request active ({share})',
  ),
  finding(
    'envoy-close-with-active-request',
    'Envoy closed upstream connections with a request active',
    '{count} of {totalCloses} {totalCloses|upstream connection close|upstream connection closes} {count|was|were} Envoy-side with a request active ({share})',
  ),
  finding(
    'downstream-close-with-active-request',
    'Clients closed connections with a request active (DC)',
    '{count} {count|client connection was|client connections were} closed by the client with a request active: {share} of {basisCount} {basis}',
  ),
  finding(
    'websocket-buffer-limit-low',
    'Buffer limit below 1 MiB where WebSockets are served',
    'per_connection_buffer_limit_bytes is {limitBytes} ({limitSource}) where WebSocket-capable routes are served ({websocketRoutes})',
  ),
  finding(
    'cluster-tcp-keepalive-missing',
    'No TCP keepalive towards a WebSocket backend',
    'no upstream_connection_options.tcp_keepalive on a cluster behind WebSocket-capable routes ({websocketRoutes})',
  ),
  finding(
    'listener-tcp-keepalive-missing',
    'No TCP keepalive on a listener serving WebSockets',
    'no SO_KEEPALIVE socket option on a listener serving WebSocket-capable routes ({websocketRoutes})',
  ),
  finding(
    'gateway-policy-overridden',
    'A gateway-level policy is replaced for a route',
    '{winningPolicy} replaces {gatewayPolicy} for the route, so its {lostFields} are not in effect',
  ),
  finding('manifest-drift', 'A live object differs from its manifest', '{changedCount} {changedCount|field differs|fields differ} from {manifests}: {changedFields}'),
  finding('manifest-not-applied', 'A manifest has no live object', 'declared in {manifests} but not found in the cluster'),
  finding('input-missing', 'An input was not given', 'no {input}: what it feeds cannot be assessed ({input} is unknown, not healthy)'),
  finding('optional-read-failed', 'An optional read failed', '{read}: diagnosed without it'),
  finding('kubernetes-read-refused', 'A Kubernetes read was refused', '{refused}: what it feeds cannot be assessed'),
  finding(
    'entity-stats-missing',
    'Stats absent for an entity',
    'no stats at all for {entityKind} {entityName}: {missing} {missing|stat|stats} the diagnosis needs ({families}) {missing|is|are} absent, why: {reason} ({setting}); missing means unknown, not healthy',
  ),
  finding(
    'upgraded-sessions-end-together',
    'Upgraded sessions end together',
    '{count} {count|upgraded session|upgraded sessions} of {agent} clients ended with flag {flag} between {lowMs} and {highMs} (median {medianMs}), {agentShare} of their sessions on the route[?; best-matching timer {timer} ({timerMs})]',
  ),
  // Findings of the long-lived-connection catalogue (timers)
  finding(
    'stream-idle-timeouts-fired',
    'Stream idle timeouts fire where WebSockets are served',
    '{idleTimeouts} {idleTimeouts|stream was|streams were} reset by the stream idle timeout ({effectiveIdleTimeoutMs} on WebSocket routes; stream_idle_timeout {streamIdleTimeoutMs}, {streamIdleTimeoutSource}) on a connection manager with {upgradesTotal} {upgradesTotal|upgrade|upgrades}',
  ),
  finding(
    'upgrade-route-timeouts-fired',
    'Route timeouts counted behind a route that carries WebSocket upgrades',
    '{upstreamRqTimeout} {upstreamRqTimeout|upstream request timeout|upstream request timeouts} on {cluster} behind a WebSocket-capable route with timeout {timeoutMs} ({timeoutSource}); what the route timeout covers on upgrades with Envoy {envoyVersion}: {appliesTo}',
  ),
  finding(
    'max-duration-reached',
    'Maximum stream or connection duration reached where WebSockets are served',
    '{rqMaxDurationReached} {rqMaxDurationReached|stream|streams} reset at their maximum duration and {cxMaxDurationReached} {cxMaxDurationReached|connection|connections} drained at max_connection_duration ({side}) where WebSocket-capable routes are served',
  ),
  // Findings of the long-lived-connection catalogue (limits and protocols)
  finding(
    'websocket-route-buffers-requests',
    'Request buffering on a WebSocket route',
    'the buffer filter runs on this WebSocket route (turned on by the {enabledBy}, connection manager {connectionManager})',
  ),
  finding(
    'circuit-breaker-overflow',
    'Circuit breakers open or overflowing',
    'circuit breakers at the limit (cx_open {cxOpen}, rq_open {rqOpen}, rq_pending_open {rqPendingOpen}); {cxOverflow} {cxOverflow|connection overflow|connection overflows} and {rqPendingOverflow} {rqPendingOverflow|request|requests} refused (UO); {activeConnections} of {maxConnections} {maxConnections|connection|connections} and {activeRequests} of {maxRequests} {maxRequests|request|requests} in use',
  ),
  finding(
    'circuit-breaker-near-limit',
    'Circuit breakers close to their thresholds where WebSockets are served',
    '{activeConnections} of {maxConnections} {maxConnections|connection|connections} ({connectionShare}) and {activeRequests} of {maxRequests} {maxRequests|request|requests} ({requestShare}) in use behind WebSocket-capable routes ({upgradesActive} {upgradesActive|upgraded connection|upgraded connections} active)',
  ),
  finding(
    'upgrade-on-non-websocket-route',
    'Upgrade requests refused on routes without upgrades',
    '{refused} {refused|upgrade request was|upgrade requests were} refused with 403 because their route does not enable the upgrade[? ({windowRefused} in {windowSeconds})]; routes served here: {routesDisabled} with websocket disabled, {routesNotConfigured} without it',
  ),
  finding(
    'upgrade-rejected-on-route',
    'WebSocket handshakes refused on a route',
    '{refused} of {entries} {entries|logged request|logged requests} on the route {refused|was an upgrade|were upgrades} Envoy refused with 403 upgrade_failed; websocket on this route: {upgradeSetting}',
  ),
  finding(
    'websocket-cluster-speaks-http2',
    'HTTP/2 upstream behind WebSocket-capable routes',
    'HTTP/2 upstream ({http2Source}, ALPN {upstreamAlpn}) behind WebSocket-capable routes ({websocketRoutes}): {http2Connections} {http2Connections|HTTP/2 connection|HTTP/2 connections}, {protocolErrors} {protocolErrors|protocol error|protocol errors}, {rxResets} {rxResets|reset|resets}[?, {logProtocolErrors} {logProtocolErrors|protocol-error 502|protocol-error 502s} logged]',
  ),
  finding(
    'websocket-listener-prefers-h2',
    'HTTP/2 offered first on a WebSocket listener without extended CONNECT',
    'ALPN {alpn} offered on a listener serving WebSocket routes ({websocketRoutes}) without allow_connect[?: {h2Failures} {h2Failures|WebSocket handshake|WebSocket handshakes} over HTTP/2 failed ({h2Rejected426} answered 426, {h2Rejected400} answered 400 on paths that upgrade over HTTP/1.1, {h2ConnectRefused} {h2ConnectRefused|extended CONNECT|extended CONNECTs} refused)]; {http2Connections} {http2Connections|HTTP/2 connection|HTTP/2 connections}',
  ),
  finding(
    'tunnel-idle-timeouts',
    'TCP tunnels ended by the idle timeout or left without keepalive',
    'TCP proxy {statPrefix} to {cluster}: {idleTimeouts} {idleTimeouts|connection|connections} closed by idle_timeout {idleTimeoutMs} ({idleTimeoutSource}); keepalive on the listener {listenerKeepalive}, on the cluster {clusterKeepalive}[?; {logAtIdleTimeout} {logAtIdleTimeout|logged tunnel|logged tunnels} lasted the idle timeout]',
  ),
  finding(
    'listeners-drained',
    'Listener updates drain connections',
    '{listenerModified} {listenerModified|listener update|listener updates} ({inPlaceUpdated} of them filter-chain only) and {listenerRemoved} {listenerRemoved|removal|removals}[? ({windowUpdates} in {windowSeconds})]; {listenersDraining} {listenersDraining|listener|listeners} and {filterChainsDraining} {filterChainsDraining|filter chain|filter chains} draining now[?; {logDrainCloses} {logDrainCloses|connection|connections} closed by drains in the access log ({logDrainUpgrades} upgraded)]',
  ),
  // Findings about the inputs themselves
  finding(
    'stats-not-recognised',
    'Stats that were not understood',
    '{values} {values|value|values} read from {sample} ({format}), and none is a stat of a cluster, connection manager, listener or TCP proxy ({entities} {entities|entity|entities} named): every root cause that needs stats is unknown, not ruled out',
  ),
  finding(
    'stats-counters-reset',
    'Stats samples that run backwards',
    '{decreased} of {compared} {compared|counter|counters} on {entities} {entities|entity|entities} {decreased|is|are} lower in the later sample ({example}: {exampleBefore}, then {exampleAfter}[?; server.uptime {uptimeBefore}, then {uptimeAfter}]): Envoy restarted between the samples or the files were swapped, so the proxy is diagnosed from the later sample alone',
  ),
  finding(
    'listener-rejected',
    'A listener update Envoy rejected',
    'Envoy rejected listener {listener}[? on {address}][?, last tried {lastUpdateAttempt}]: {details}; an earlier version still serves: {stillServing}',
  ),
  // Root causes shipped now
  rootCause(
    'flow-control-stall',
    'Flow-control stall: slow clients pause upstream reads and long-lived streams starve',
    'a slow reader filled the {limitBytes} buffer, Envoy paused reads from the upstream, and the upstream closed connections it could no longer write to',
  ),
  rootCause(
    'missing-tcp-keepalive',
    'Long-lived connections without TCP keepalive',
    'quiet WebSocket connections have no TCP keepalive, so dead peers and idle middleboxes go unnoticed',
  ),
  rootCause(
    'policy-overridden',
    'A gateway-level policy is overridden for the route',
    'a route-level BackendTrafficPolicy replaces the gateway-level one, so {lostFields} are not in effect for {route}',
  ),
  rootCause('config-drift', 'Live policies differ from the manifests', '{objects} {objects|object differs|objects differ} from {manifests} in {fields} {fields|field|fields}'),
  // Root causes of the long-lived-connection catalogue (timers)
  rootCause(
    'stream-idle-timeout',
    'Stream idle timeout ends quiet long-lived streams',
    'WebSockets that stay quiet in both directions longer than the stream idle timeout (stream_idle_timeout, default 5 min, or the route idle_timeout) are reset by Envoy with flag SI',
  ),
  rootCause(
    'route-timeout-on-upgrade',
    'Route timeout applied to upgraded connections',
    'the route timeout (default 15 s) covers the wait for the upgrade response on Envoy >= 1.36.0: a backend slower than that to answer 101 fails the WebSocket with 504 (UT)',
  ),
  rootCause(
    'connection-max-duration',
    'Maximum connection or stream duration ends long-lived connections',
    'a maximum stream duration (max_stream_duration) resets upgraded sessions at a fixed age however busy they are; max_connection_duration drains their connections',
  ),
  // Root causes of the long-lived-connection catalogue (limits and protocols)
  rootCause(
    'request-buffer-blocks-upgrade',
    'Request buffering blocks the WebSocket upgrade',
    'the buffer filter holds upgrade requests on {route} for a body that never ends',
  ),
  rootCause(
    'circuit-breaker-saturation',
    'Circuit breakers saturated by long-lived connections',
    'each WebSocket holds an upstream connection and a request for its whole life, so the circuit breakers (1024 connections and requests by default) cap concurrent WebSockets: further ones queue for a connection until one closes or the client gives up, and past max_pending_requests fail at once with 503 (UO)',
  ),
  rootCause(
    'websocket-upgrade-disabled',
    'WebSocket upgrades not enabled on the route',
    'WebSocket handshakes reach routes that do not enable the upgrade (websocket disabled in the route upgrade_configs, or on neither the route nor the connection manager), and Envoy refuses them with 403 upgrade_failed',
  ),
  rootCause(
    'upstream-http2-websocket',
    'WebSocket sent to an HTTP/2 upstream',
    'the cluster speaks HTTP/2 to its backend (configured, or chosen by TLS ALPN), so upgrades leave as extended CONNECT, which a backend without RFC 8441 support resets: 502 with a protocol_error reset',
  ),
  rootCause(
    'alpn-h2-websocket',
    'HTTP/2 offered first to WebSocket clients without extended CONNECT',
    'the listener offers h2 first and does not accept WebSockets over HTTP/2 (allow_connect off): clients that open the WebSocket on their HTTP/2 connection (Firefox) fail with 426 or a refused CONNECT, clients that fall back to HTTP/1.1 (Chrome, most libraries) connect',
  ),
  rootCause(
    'passthrough-idle-timeout',
    'TCP tunnels end on the idle timeout',
    'quiet TCP tunnels (TLS passthrough or plain TCP routes) end on the TCP proxy idle timeout, or silently in load balancers and NAT when no TCP keepalive crosses them; Envoy cannot ping inside a stream it only forwards',
  ),
  rootCause(
    'listener-drain',
    'Listener drains close upgraded connections',
    'listener updates drain the listener holding the WebSockets; with no next response to close after, each one is closed when the drain time ends (flag DC, filter_chain_is_being_removed or, for a replaced listener, purging_socket_that_have_not_progressed_to_connections)',
  ),
  rootCause(
    'listener-unserved',
    'A rejected listener leaves its address unserved',
    'Envoy rejected the listener and no earlier version of it is active, so nothing accepts connections on its address: clients there are refused (for an Istio sidecar, every inbound request when the rejected listener is virtualInbound)',
  ),
  rootCause(
    'stats-unavailable',
    'The stats a diagnosis needs are not available',
    'the proxy does not publish stats that decide whether WebSockets stall, time out or hit limits where they are served: the root causes those stats decide are unknown, not ruled out',
  ),
  // Findings and explanations of stats-unavailable
  finding(
    'needed-stats-missing',
    'Stats the diagnosis needs are absent',
    '{missing} of {needed} {needed|stat|stats} the diagnosis needs {missing|is|are} absent for {entityKind} {entityName} ({families}), why: {reason} ({setting}); unknown meanwhile: {rootCauses}',
  ),
  finding(
    'stats-matcher-pattern-unsupported',
    'A stats matcher pattern that cannot be evaluated',
    'the stats matcher pattern {pattern} cannot be evaluated here (RE2 syntax JavaScript lacks, or a custom matcher): stats only it could decide count as unexplained',
  ),
  explanation('stats-rejected-by-matcher', '{missing} needed stats on {entities} entities ({families}) are never created: the stats matcher rejects them ({setting})'),
  explanation(
    'stats-deferred-on-quiet-clusters',
    '{missing} traffic stats on {entities} clusters ({families}) do not exist yet: with deferred creation (enable_deferred_creation_stats) Envoy creates them on the first request, and these clusters have carried none',
  ),
  explanation(
    'stats-under-another-name',
    '{entities} {entities|entity has|entities have} no stats under their configured name while {unmatchedEntities} {unmatchedEntities|stats entity matches|stats entities match} nothing in the config (e.g. {unmatchedExample}): alt_stat_name, or stats and config dump from different proxies',
  ),
  explanation(
    'stats-absent-unexplained',
    '{missing} needed stats on {entities} entities ({families}) are absent with no stats matcher or deferred creation to explain it: a capture filtered with usedonly or filter, or an Envoy that lacks them',
  ),
  explanation('hypotheses-unknown-without-stats', 'until they are published these root causes cannot be checked here: {rootCauses}'),
  note(
    'stats-matches-replace-list',
    'the list replaces the inclusion list in effect: it keeps its {kept} patterns and adds the prefixes; changing it restarts the proxies',
  ),
  note('bootstrap-needs-restart', 'the stats matcher is read from the bootstrap at start: restart (or hot-restart) Envoy with it'),
  note(
    'istio-annotation-rolls-pods',
    'the sidecar reads proxy.istio.io/config when it starts: this patch rolls the pods of {workload}; merge it with any proxy.istio.io/config they already carry',
  ),
  // What root causes explain
  explanation(
    'heartbeat-behind-paused-reads',
    'a backend that pings N seconds after the last frame it received and gives up N/2 later (aiohttp: 82.5 s at heartbeat=55) closes its WebSockets while its ping or the pong sits behind reads Envoy paused (up to {pausedNowUpperBound} {pausedNowUpperBound|connection|connections} paused now, {bufferedBytes} buffered)',
  ),
  explanation(
    'buffers-full-at-limit',
    '{bufferedBytes} buffered on {bufferedOn} is {fullBuffers} {fullBuffers|full buffer|full buffers} of {limitBytes}[?, {buffersPerPaused} {buffersPerPaused|buffer|buffers} for each of the up to {pausedNowUpperBound} {pausedNowUpperBound|connection|connections} that may be paused now] (a connection stalled at the limits holds about a listener limit plus a cluster limit, one on each side)',
  ),
  explanation('upstream-closes-active', '{count} {count|upstream close|upstream closes} with a request active ({share} of closes): the UC pattern'),
  explanation('client-closes-active', '{count} {count|close|closes} by {agent} clients with a request active: the DC pattern of clients giving up'),
  explanation('pauses-in-window', '{windowPaused} {windowPaused|pause|pauses} and {windowResumed} {windowResumed|resume|resumes} in {windowSeconds}: streams are pausing now and not recovering'),
  explanation(
    'upstream-closes-after-missed-heartbeat',
    '{count} {count|upgraded session was|upgraded sessions were} closed by the upstream (UC) between {lowMs} and {highMs} (median {medianMs}): a backend that pings every {heartbeatMs} and closes half a heartbeat after an unanswered ping, whose ping or pong sat behind paused reads',
  ),
  explanation('policy-fields-not-in-effect', '{lostFields} set on the Gateway do not reach {route}: the route-level policy wins outright'),
  explanation('live-differs-from-git', '{objects} {objects|object|objects} in the cluster {objects|is|are} not what {manifests} declares ({fields} {fields|field differs|fields differ}): the settings diagnosed are the live ones'),
  explanation('upgrade-waits-for-body', 'upgrade requests on {route} wait in the buffer filter for a request body that only ends with the connection, so the 101 never comes'),
  explanation('dead-peers-undetected', 'without keepalive a connection whose peer vanished stays open until an application timer notices ({upgradesTotal} {upgradesTotal|upgrade|upgrades} so far)'),
  explanation(
    'idle-timeout-ends-quiet-streams',
    '{idleTimeouts} {idleTimeouts|stream was|streams were} reset by the stream idle timeout ({effectiveIdleTimeoutMs}) on a connection manager serving WebSockets ({upgradesTotal} {upgradesTotal|upgrade|upgrades}): a WebSocket quiet in both directions for that long is reset with flag SI',
  ),
  explanation('stream-idle-timeouts-in-window', '{windowIdleTimeouts} {windowIdleTimeouts|stream idle timeout|stream idle timeouts} in {windowSeconds}: quiet streams are being reset now'),
  explanation(
    'upgraded-sessions-end-at-idle-timeout',
    '{count} {count|upgraded session|upgraded sessions} ended with flag {flag} between {lowMs} and {highMs} (median {medianMs}), at the stream idle timeout of {timerMs}',
  ),
  explanation(
    'route-timeout-fails-upgrade-handshakes',
    'the route timeout ({timeoutMs}) covers the wait for the upgrade response on Envoy >= 1.36.0 (this proxy: {envoyVersion}): {upstreamRqTimeout} {upstreamRqTimeout|upstream request timeout|upstream request timeouts} on {cluster}; a backend slower than that to answer 101 fails the WebSocket with 504 (UT)',
  ),
  explanation('route-timeouts-in-window', '{windowUpstreamRqTimeout} {windowUpstreamRqTimeout|upstream request timeout|upstream request timeouts} on {cluster} in {windowSeconds}: requests and upgrades are timing out now'),
  explanation('upgraded-sessions-end-at-route-timeout', '{count} {count|upgraded session|upgraded sessions} ended with flag UT between {lowMs} and {highMs}, at the route timeout of {timeoutMs}'),
  explanation(
    'streams-reset-at-max-duration',
    '{rqMaxDurationReached} {rqMaxDurationReached|stream was|streams were} reset at their maximum duration ({maxStreamDurationMs}) where WebSockets are served ({upgradesTotal} {upgradesTotal|upgrade|upgrades}): max_stream_duration ends an upgraded session however busy it is',
  ),
  explanation(
    'upgraded-sessions-end-at-max-duration',
    '{count} {count|upgraded session|upgraded sessions} ended with flag {flag} between {lowMs} and {highMs} (median {medianMs}), at the configured maximum duration of {timerMs}',
  ),
  explanation(
    'connections-drained-at-max-duration',
    '{cxMaxDurationReached} {cxMaxDurationReached|connection|connections} reached max_connection_duration ({maxConnectionDurationMs}) and were drained: no new streams on them, closed once their streams end',
  ),
  explanation(
    'websockets-hold-connections',
    '{upgradesActive} {upgradesActive|upgraded connection is|upgraded connections are} open and each holds an upstream connection and a request for its whole life: {activeConnections} of {maxConnections} {maxConnections|connection|connections} in use',
  ),
  explanation(
    'circuit-breaker-open-now',
    'circuit breakers open at capture time (cx_open {cxOpen}, rq_open {rqOpen}, rq_pending_open {rqPendingOpen}): new requests to the cluster queue until a connection closes or their client gives up, and past max_pending_requests fail at once with 503 UO',
  ),
  explanation('overflows-in-window', '{windowCxOverflow} {windowCxOverflow|connection overflow|connection overflows} and {windowRqPendingOverflow} {windowRqPendingOverflow|refused request|refused requests} in {windowSeconds}: the limit is being hit now'),
  explanation('active-at-threshold', '{active} active {kind} against a threshold of {threshold}: every new WebSocket waits for one to close'),
  explanation('upgrades-refused', '{refused} {refused|upgrade request|upgrade requests} refused on {connectionManager}[? ({windowRefused} in {windowSeconds})]: Envoy answers 403 and closes the connection'),
  explanation('route-upgrade-disabled', 'route {route} disables websocket in its upgrade_configs (enabled: false): {refused} {refused|handshake|handshakes} refused with 403 upgrade_failed'),
  explanation('route-upgrade-not-configured', 'neither route {route} nor connection manager {connectionManager} enables websocket: {refused} {refused|handshake|handshakes} refused with 403 upgrade_failed'),
  explanation('route-upgrades-refused', '{refused} {refused|upgrade request|upgrade requests} refused with 403 upgrade_failed on route {route}'),
  explanation(
    'upstream-http2-explicit',
    'the cluster is configured for HTTP/2 upstream (explicit_http_config.http2_protocol_options): every upgrade leaves as an extended CONNECT ({http2Connections} {http2Connections|HTTP/2 connection|HTTP/2 connections})',
  ),
  explanation(
    'upstream-h2-by-alpn',
    'the cluster lets TLS ALPN choose the upstream protocol (auto_config, ALPN {upstreamAlpn}): a backend that accepts h2 gets upgrades as extended CONNECT ({http2Connections} {http2Connections|HTTP/2 connection|HTTP/2 connections})',
  ),
  explanation('protocol-error-502s', '{logProtocolErrors} {logProtocolErrors|request|requests} to the cluster failed with 502 after a protocol_error reset in the access log ({logUpgrades} {logUpgrades|upgrade|upgrades} succeeded)'),
  explanation(
    'upstream-protocol-errors',
    '{protocolErrors} {protocolErrors|upstream protocol error|upstream protocol errors} and {rxResets} {rxResets|stream|streams} reset by the backend[? ({windowProtocolErrors} and {windowRxResets} of them in {windowSeconds})]',
  ),
  explanation(
    'h2-handshakes-fail',
    '{h2Failures} {h2Failures|WebSocket handshake|WebSocket handshakes} came over HTTP/2 on {listener} (ALPN {alpn}) and failed: {h2Rejected426} answered 426 Upgrade Required, {h2Rejected400} answered 400 on paths that upgrade over HTTP/1.1, {h2ConnectRefused} {h2ConnectRefused|extended CONNECT|extended CONNECTs} refused ({http2Connections} {http2Connections|HTTP/2 connection|HTTP/2 connections})',
  ),
  explanation(
    'allow-connect-forwards-no-websocket-key',
    'with allow_connect on {listener}, Envoy forwards an extended CONNECT to an HTTP/1.1 backend as a GET with Upgrade: websocket but adds no Sec-WebSocket-Key (envoyproxy/envoy#8547): a backend that checks the key (aiohttp: 400) still refuses clients that send none, as RFC 8441 allows; for those, offer the WebSocket host http/1.1 only',
  ),
  explanation(
    'h2-connect-protocol-errors',
    '{protocolErrors} HTTP/2 protocol {protocolErrors|error|errors} on {connectionManagers}[? ({windowProtocolErrors} in {windowSeconds})] of {listener} (ALPN {alpn}, {http2Connections} {http2Connections|HTTP/2 connection|HTTP/2 connections}): without allow_connect an extended CONNECT is a messaging error, its stream reset and its connection closed (access log: code 0, flag DPE, details http2.violation.of.messaging.rule on Envoy 1.36, http2.invalid.header.field on 1.40)',
  ),
  explanation(
    'tunnels-closed-idle',
    '{idleTimeouts} {idleTimeouts|tunnel|tunnels} on {statPrefix} {idleTimeouts|was|were} closed by the TCP proxy idle timeout ({idleTimeoutMs}; {windowIdleTimeouts} in {windowSeconds}, {logAtIdleTimeout} logged at that duration): only the application\'s own bytes keep open a tunnel Envoy only forwards',
  ),
  explanation(
    'tunnels-last-long',
    '{logLongLived} logged {logLongLived|tunnel|tunnels} lasted a minute or more[?, and {longLivedShare} of the cluster\'s connections did]: the tunnels carry long-lived traffic with quiet stretches',
  ),
  explanation(
    'tunnels-without-keepalive',
    'no TCP keepalive on the listener ({listenerKeepalive}) or towards the backend ({clusterKeepalive}): load balancers and NAT drop quiet tunnels silently',
  ),
  explanation('tunnels-end-at-middlebox-timer', '{logAtMiddleboxTimer} {logAtMiddleboxTimer|logged tunnel|logged tunnels} ended at {middleboxTimer}: a load balancer or NAT in between dropped them when they went quiet'),
  explanation(
    'rejected-listener-not-serving',
    'listener {listener}[? on {address}] was rejected[? at {lastUpdateAttempt}] ({details}) and has no active version: nothing serves its address',
  ),
  explanation('drain-closed-upgrades', '{logDrainUpgrades} {logDrainUpgrades|upgraded session|upgraded sessions} ({logDrainCloses} {logDrainCloses|connection|connections} in all) {logDrainUpgrades|was|were} closed when their filter chain or listener drained, after a drain time of {drainSeconds}'),
  explanation(
    'listener-updates-in-window',
    '{windowUpdates} {windowUpdates|listener update|listener updates} in {windowSeconds} with {upgradesActive} {upgradesActive|upgraded connection|upgraded connections} open: each drains its listener and closes the WebSockets on it after {drainSeconds}',
  ),
  explanation('listeners-draining-now', '{listenersDraining} {listenersDraining|listener|listeners} and {filterChainsDraining} {filterChainsDraining|filter chain|filter chains} draining at capture time ({drainingInConfig} {drainingInConfig|listener|listeners} in the config dump), {upgradesActive} {upgradesActive|upgraded connection|upgraded connections} open'),
  // Notes on rendered fixes
  note(
    'policy-may-be-overridden',
    'mergeType: StrategicMerge keeps the fields of a gateway-level policy (Envoy Gateway >= 1.4); if a route-level BackendTrafficPolicy already targets {route}, add these fields to it instead of applying a second one',
  ),
  note(
    'client-policy-may-be-overridden',
    'a ClientTrafficPolicy for listener {listener} wins over one for the whole Gateway {gateway}: copy any fields the Gateway-wide policy sets into this one, or add these fields there if one already targets the listener',
  ),
  note('patches-winning-policy', 'this is the live {policy} with the fields added and everything it already sets kept: it is the policy that wins for the route'),
  note(
    'patches-named-policy',
    "the proxy's configuration names {policy} as the BackendTrafficPolicy of {route} and no other route: this merge patch sets only these fields in it and keeps everything else it sets (a second policy on the same route would be ignored)",
  ),
  note('remove-policy-field', 'the limit to lift is {field}: remove it from the policy that sets it (unset means unlimited)'),
  note(
    'listener-limit-pauses-upstream',
    "the listener's buffer limit is the downstream write watermark that pauses upstream reads (the cluster's does not move the pause): a larger one lets bursts up to it reach slow clients without a pause, and does not end the heartbeat closes of a client that stays slow, whose answers wait behind the unread bytes wherever they are buffered (measured: docs/lab.md)",
  ),
  note('envoy-patch-policy-enable', 'EnvoyPatchPolicy is applied only when the EnvoyGateway configuration sets extensionApis.enableEnvoyPatchPolicy: true'),
  note(
    'alpn-http11-alternative',
    'without patches: a ClientTrafficPolicy with tls.alpnProtocols [http/1.1] for the listeners of {gateway} makes every client use HTTP/1.1 there, WebSockets included, at the cost of HTTP/2 for pages',
  ),
  note('envoyproxy-reference', 'reference EnvoyProxy {envoyProxy} from Gateway {gateway} (spec.infrastructure.parametersRef), or add the field to the EnvoyProxy its GatewayClass already references'),
  note('drain-timeout-slows-shutdown', 'drainTimeout ({drainSeconds}) is also how long a proxy pod drains when it stops: keep terminationGracePeriodSeconds above it'),
  note('envoyfilter-add-workload-selector', 'without a workloadSelector this EnvoyFilter applies to every proxy in {namespace}: add the workload\'s labels to narrow it'),
  ...FIX_NOTES,
];
