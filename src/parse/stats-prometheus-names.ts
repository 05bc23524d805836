// How a Prometheus sample's name and labels map back to Envoy's entity and stat name.
// Envoy's /stats/prometheus (source/server/admin/prometheus_stats.cc): `envoy_` + the tag-extracted name with
// dots as underscores, tags as labels (`envoy_cluster_name`, `envoy_http_conn_manager_prefix`, ...). Istio's
// Prometheus merge renames the labels without the `envoy_` prefix (`cluster_name`).
// Labels Envoy's own tags do not make (no `envoy_` prefix and none of the renamed ones) are constant labels: a
// `stats_tags` entry with a `fixed_value` (api/envoy/config/metrics/v3/stats.proto TagSpecifier), the five the Consul
// dataplane adds to every sample, or a scrape's `pod`/`namespace`. They say nothing about the stat and are dropped,
// so a sample that carries them reads like one that does not.

import { OVERLOAD_STATS, STAT_PREFIXES } from '../model/envoy-stats.ts';
import type { StatEntityKind } from './stat-names.ts';

const ENTITY_FAMILIES: Array<{ prefix: string; kind: StatEntityKind; labels: string[] }> = [
  { prefix: 'envoy_cluster_', kind: 'cluster', labels: ['envoy_cluster_name', 'cluster_name'] },
  { prefix: 'envoy_http_', kind: 'http', labels: ['envoy_http_conn_manager_prefix', 'http_conn_manager_prefix'] },
  { prefix: 'envoy_listener_', kind: 'listener', labels: ['envoy_listener_address', 'listener_address'] },
  { prefix: 'envoy_tcp_', kind: 'tcp', labels: ['envoy_tcp_prefix', 'tcp_prefix'] },
];
const USER_AGENT_LABELS = ['envoy_http_user_agent', 'http_user_agent'];

/** Labels without the `envoy_` prefix that still come from Envoy's tags (Istio's renames, Envoy Gateway's priority). */
const RENAMED_TAGS = new Set(['response_code', 'response_code_class', 'priority']);

/** True for a label Envoy's tags did not make: a constant label, which is dropped. */
function isConstantLabel(name: string): boolean {
  return !name.startsWith('envoy_') && !RENAMED_TAGS.has(name);
}

/** The stat key for labels beyond the entity's: response codes fold back into Envoy's names, constant labels go. */
function withExtraLabels(stat: string, extra: Map<string, string>): string {
  if (extra.size === 0) return stat;
  let out = stat;
  // The gRPC stats filter's per-method stats (cluster.<name>.grpc.<service>.<method>.<stat>): Envoy's tag regex
  // (source/common/config/well_known_names.cc, GRPC_BRIDGE) takes the first two names after `grpc.` out of the name.
  const service = extra.get('envoy_grpc_bridge_service');
  const method = extra.get('envoy_grpc_bridge_method');
  if (service !== undefined && method !== undefined && out.startsWith('grpc_')) {
    out = `grpc_${service}_${method}_${out.slice('grpc_'.length)}`.replace(/\./g, '_');
    extra.delete('envoy_grpc_bridge_service');
    extra.delete('envoy_grpc_bridge_method');
  }
  const rest: string[] = [];
  for (const [k, v] of [...extra].sort(([a], [b]) => a.localeCompare(b))) {
    if (isConstantLabel(k)) continue;
    // Envoy Gateway >= 1.7 tags circuit breaker gauges with their priority: fold it back to Envoy's name.
    if (k === 'priority' && out.startsWith('circuit_breakers_')) out = `circuit_breakers_${v}_${out.slice('circuit_breakers_'.length)}`;
    else if (k === 'envoy_response_code' || k === 'response_code') out += `_${v}`;
    // Envoy's tag takes the class digit out of the name: upstream_rq_2xx is upstream_rq_xx{envoy_response_code_class="2"}.
    else if (k === 'envoy_response_code_class' || k === 'response_code_class')
      out = `${out.endsWith('_xx') ? out.slice(0, -3) : out}_${v.endsWith('xx') ? v : `${v}xx`}`;
    else rest.push(`${k}=${v}`);
  }
  return rest.length > 0 ? `${out}{${rest.join(',')}}` : out;
}

/** Where a sample belongs: its entity (kind and name) or none, its stat name, and the user agent of an HTTP stat. */
interface Located {
  kind: StatEntityKind | 'other';
  entity: string;
  stat: string;
  agent?: string;
  /** The label that named the entity. */
  label?: string;
}

/** Where a sample named `name` with `labels` belongs, and the stat name the text and JSON formats give it. */
export function locate(name: string, labels: Map<string, string>): Located {
  for (const family of ENTITY_FAMILIES) {
    if (!name.startsWith(family.prefix)) continue;
    const label = family.labels.find((l) => labels.has(l));
    if (!label) continue;
    const extra = labels.size > 1 ? new Map(labels) : new Map<string, string>();
    extra.delete(label);
    const located: Located = { kind: family.kind, entity: labels.get(label) as string, stat: name.slice(family.prefix.length), label };
    const agentLabel = family.kind === 'http' ? USER_AGENT_LABELS.find((l) => extra.has(l)) : undefined;
    if (agentLabel && located.stat.startsWith('user_agent_')) {
      located.agent = extra.get(agentLabel) as string;
      located.stat = located.stat.slice('user_agent_'.length);
      extra.delete(agentLabel);
    } else if (family.kind === 'http') {
      // Istio's tag rules keep the agent in the name: envoy_http_user_agent_ios_downstream_cx_total.
      const m = /^user_agent_(ios|android)_(.+)$/.exec(located.stat);
      if (m) {
        located.agent = m[1] as string;
        located.stat = m[2] as string;
      }
    }
    located.stat = withExtraLabels(located.stat, extra);
    return located;
  }
  const labelText = [...labels]
    .filter(([k]) => !isConstantLabel(k))
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const envoyName = otherName(name);
  return { kind: 'other', entity: '', stat: labelText ? `${envoyName}{${labelText}}` : envoyName };
}

/** Envoy's top-level scopes whose one-level stats read back to their dotted names (`envoy_server_uptime` is `server.uptime`). */
const TOP_LEVEL_SCOPES = ['server', 'listener_manager', 'cluster_manager'];

/**
 * An overload manager stat (`overload_<monitor or action>_<stat>`) as `overload.<name>.<stat>`: the name's own dots
 * are lost to underscores (`overload.envoy_resource_monitors_fixed_heap.pressure`), its stat is one Envoy publishes
 * there (docs/root/configuration/operations/overload_manager/overload_manager.rst).
 */
function overloadName(bare: string): string | undefined {
  const head = 'overload_';
  if (!bare.startsWith(head)) return undefined;
  const tail = Object.values(OVERLOAD_STATS).find((t) => bare.length > head.length + t.length + 1 && bare.endsWith(`_${t}`));
  return tail === undefined ? undefined : `${STAT_PREFIXES.overload}${bare.slice(head.length, -tail.length - 1)}.${tail}`;
}

/** A stat of no entity under the name the text and JSON formats give it, as far as Prometheus' name allows. */
function otherName(promName: string): string {
  const bare = promName.startsWith('envoy_') ? promName.slice('envoy_'.length) : promName;
  const scope = TOP_LEVEL_SCOPES.find((p) => bare.startsWith(`${p}_`));
  return scope ? `${scope}.${bare.slice(scope.length + 1)}` : (overloadName(bare) ?? bare);
}
