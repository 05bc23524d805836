// Splitting Envoy's flat stat names (`cluster.<name>.<stat>`) into the entity they describe and the stat.
// Entity names may contain dots (Istio's `outbound|80||a.b.svc.cluster.local`, listener `0.0.0.0_10443`), so
// names known from the config dump win; otherwise the split is where a known stat family begins.
// Stat families: envoy/upstream/stats.h (cluster; `grpc.<service>.<method>.<stat>` from the gRPC stats filter,
// source/extensions/filters/http/grpc_stats), source/common/http/conn_manager_config.h (http),
// source/server/listener_stats.h (listener), source/common/tcp_proxy/tcp_proxy.h (tcp);
// tag extraction: source/common/config/well_known_names.cc.

import { type StatScope, statKey } from '../model/stats-view.ts';

/** The kinds of entity whose stats analyzers read. */
export type StatEntityKind = StatScope;

/** Names already known from the config, used to split stat names exactly. */
export interface KnownEntities {
  cluster?: ReadonlySet<string>;
  http?: ReadonlySet<string>;
  listener?: ReadonlySet<string>;
  tcp?: ReadonlySet<string>;
}

const STAT_TAIL: Record<StatEntityKind, RegExp> = {
  cluster:
    /^(?:upstream_\w+|lb_\w+|membership_\w+|update_\w+|assignment_\w+|circuit_breakers\.(?:default|high)\.\w+|outlier_detection\.\w+|health_check\.\w+|ssl\..+|(?:internal|external|canary)\.upstream_\w+|zone\..+\.\w+|http[123]\.\w+|default\.total_match_count|bind_errors|max_host_weight|version|original_dst_host_invalid|init_fetch_timeout|retry_or_shadow_abandoned|client_ssl_socket_factory\.\w+|warming_state|upstream_internal_redirect_\w+|grpc\..+\.\w+)$/,
  http: /^(?:downstream_\w+|rq_\w+|no_route|no_cluster|rs_too_large|passthrough_internal_redirect_\w+|user_agent\.\w+\.downstream_\w+|rds\..+|tracing\.\w+|router\.\w+|http1\.\w+|http2\.\w+|health_check\.\w+)$/,
  listener:
    /^(?:downstream_\w+|no_filter_chain_match|extension_config_missing|network_extension_config_missing|connections_accepted_per_socket_event|http\..+\.\w+|server_ssl_socket_factory\.\w+|ssl\..+|worker_\d+\.\w+|no_certificate)$/,
  tcp: /^(?:downstream_\w+|upstream_\w+|idle_timeout|max_downstream_connection_duration|on_demand_\w+|early_data_\w+|route_delayed_total)$/,
};

/** The prefix of each entity kind's stat names. */
export const STAT_PREFIX: Readonly<Record<StatEntityKind, string>> = { cluster: 'cluster.', http: 'http.', listener: 'listener.', tcp: 'tcp.' };

const PREFIXES = Object.entries(STAT_PREFIX) as Array<[StatEntityKind, string]>;

/** Whether `tail` is a stat of the kind's known stat families (how names of unknown entities are split). */
export function statTailFits(kind: StatEntityKind, tail: string): boolean {
  return STAT_TAIL[kind].test(tail);
}

/** A stat name split into entity and stat key. */
export interface SplitName {
  kind: StatEntityKind;
  entity: string;
  /** The stat within the entity, dots folded to underscores (`circuit_breakers_default_cx_open`). */
  stat: string;
}

/** Splits `cluster.<name>.<stat>`-style names; undefined for stats of other families. */
export function splitStatName(name: string, known: KnownEntities = {}): SplitName | undefined {
  for (const [kind, prefix] of PREFIXES) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const knownNames = known[kind];
    let fallback: SplitName | undefined;
    for (let dot = rest.indexOf('.'); dot > 0; dot = rest.indexOf('.', dot + 1)) {
      const entity = rest.slice(0, dot);
      const tail = rest.slice(dot + 1);
      if (knownNames?.has(entity)) return { kind, entity, stat: statKey(tail) };
      if (fallback === undefined && statTailFits(kind, tail)) fallback = { kind, entity, stat: statKey(tail) };
    }
    return fallback;
  }
  return undefined;
}
