// Fixes as plain Envoy configuration: the fields to set at their exact paths, as a YAML fragment of the
// cluster (api/envoy/config/cluster/v3/cluster.proto) or listener (api/envoy/config/listener/v3/listener.proto).
// Listener TCP keepalive uses socket options SO_KEEPALIVE (level 1 name 9) and TCP_KEEPIDLE/INTVL/CNT
// (level 6 names 4/5/6), as api/envoy/config/core/v3/socket_option.proto documents for Linux.

import { stringify } from 'yaml';
import type { FixChange } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { type FixRenderer, groupBy, type RenderedChangeSet } from './renderer.ts';

function clusterFragment(name: string, changes: FixChange[]): Record<string, unknown> {
  const out: Record<string, unknown> = { name };
  for (const c of changes) {
    if (c.kind === 'cluster-buffer-limit') out.per_connection_buffer_limit_bytes = c.bytes;
    if (c.kind === 'cluster-tcp-keepalive') {
      out.upstream_connection_options = {
        tcp_keepalive: { keepalive_probes: c.probes, keepalive_time: c.timeSeconds, keepalive_interval: c.intervalSeconds },
      };
    }
  }
  return out;
}

function listenerFragment(name: string, changes: FixChange[]): Record<string, unknown> {
  const out: Record<string, unknown> = { name };
  for (const c of changes) {
    if (c.kind === 'listener-buffer-limit') out.per_connection_buffer_limit_bytes = c.bytes;
    if (c.kind === 'listener-tcp-keepalive') {
      const option = (description: string, level: number, optionName: number, value: number) => ({
        description,
        level,
        name: optionName,
        int_value: value,
        state: 'STATE_PREBIND',
      });
      out.socket_options = [
        option('SO_KEEPALIVE', 1, 9, 1),
        option('TCP_KEEPIDLE', 6, 4, c.timeSeconds),
        option('TCP_KEEPINTVL', 6, 5, c.intervalSeconds),
        option('TCP_KEEPCNT', 6, 6, c.probes),
      ];
    }
  }
  return out;
}

export const envoyRenderer: FixRenderer = {
  flavor: 'envoy',
  render(_s: Snapshot, changes: FixChange[]): RenderedChangeSet[] {
    const out: RenderedChangeSet[] = [];
    // Policy field copies are Envoy Gateway objects; plain Envoy has no counterpart.
    const byTarget = groupBy(changes, (c) => ('cluster' in c ? `cluster|${c.cluster}` : 'listener' in c ? `listener|${c.listener}` : undefined));
    for (const [key, group] of byTarget) {
      if (key === undefined) continue;
      const [kind, ...rest] = key.split('|');
      const name = rest.join('|');
      const fragment = kind === 'cluster' ? clusterFragment(name, group) : listenerFragment(name, group);
      out.push({
        fix: { flavor: 'envoy', target: `${kind} ${name}`, apply: 'envoy-config', format: 'yaml', text: stringify(fragment, { lineWidth: 0 }), notes: [] },
        changes: group,
      });
    }
    return out;
  },
};
