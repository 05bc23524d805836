// Fixes as Istio objects: DestinationRule connectionPool.tcp.tcpKeepalive for outbound clusters
// (istio/api networking/v1alpha3/destination_rule.proto ConnectionPoolSettings.TCPSettings.TcpKeepalive);
// buffer limits and listener keepalive have no first-class field, so an EnvoyFilter patch MERGEs the Envoy
// fields (istio/api networking/v1alpha3/envoy_filter.proto). Cluster names: `outbound|<port>|<subset>|<host>`.

import { stringify } from 'yaml';
import type { FixChange, RenderedFix } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { gatewayDuration } from '../parse/durations.ts';
import { type FixRenderer, type RenderedChangeSet } from './renderer.ts';

interface IstioCluster {
  direction: 'outbound' | 'inbound';
  port: number;
  subset: string;
  host: string;
}

/** Parses Istio's cluster naming; undefined for clusters Istio did not name that way. */
export function istioCluster(name: string): IstioCluster | undefined {
  const m = /^(outbound|inbound)\|(\d+)\|([^|]*)\|(.*)$/.exec(name.replace(/;$/, ''));
  if (!m) return undefined;
  return { direction: m[1] as IstioCluster['direction'], port: Number(m[2]), subset: m[3] as string, host: m[4] as string };
}

function hostNamespace(host: string, fallback: string): string {
  const parts = host.split('.');
  return parts.length >= 3 && parts[2] === 'svc' ? (parts[1] as string) : fallback;
}

function yamlOf(o: unknown): string {
  return stringify(o, { lineWidth: 0 });
}

function keepaliveSpec(c: Extract<FixChange, { kind: 'cluster-tcp-keepalive' }>): Record<string, unknown> {
  return { time: gatewayDuration(c.timeSeconds * 1000), interval: gatewayDuration(c.intervalSeconds * 1000), probes: c.probes };
}

export const istioRenderer: FixRenderer = {
  flavor: 'istio',
  render(s: Snapshot, changes: FixChange[]): RenderedChangeSet[] {
    const out: RenderedChangeSet[] = [];
    const namespace = s.namespace ?? 'default';
    const patches: Array<{ patch: Record<string, unknown>; change: FixChange }> = [];
    for (const c of changes) {
      if (c.kind === 'cluster-tcp-keepalive') {
        const ic = istioCluster(c.cluster);
        if (ic?.direction === 'outbound') {
          const ns = hostNamespace(ic.host, namespace);
          const name = `${ic.host.split('.')[0]}-connection`;
          const fix: RenderedFix = {
            flavor: 'istio',
            target: `DestinationRule ${ns}/${name}`,
            apply: 'kubectl-apply',
            format: 'yaml',
            text: yamlOf({
              apiVersion: 'networking.istio.io/v1',
              kind: 'DestinationRule',
              metadata: { name, namespace: ns },
              spec: {
                host: ic.host,
                trafficPolicy: { portLevelSettings: [{ port: { number: ic.port }, connectionPool: { tcp: { tcpKeepalive: keepaliveSpec(c) } } }] },
              },
            }),
            notes: [],
          };
          out.push({ fix, changes: [c] });
          continue;
        }
      }
      if (c.kind === 'cluster-buffer-limit' || c.kind === 'cluster-tcp-keepalive') {
        const ic = istioCluster(c.cluster);
        const value =
          c.kind === 'cluster-buffer-limit'
            ? { per_connection_buffer_limit_bytes: c.bytes }
            : { upstream_connection_options: { tcp_keepalive: { keepalive_probes: c.probes, keepalive_time: c.timeSeconds, keepalive_interval: c.intervalSeconds } } };
        const match = ic
          ? { context: ic.direction === 'outbound' ? 'SIDECAR_OUTBOUND' : 'SIDECAR_INBOUND', cluster: { portNumber: ic.port, ...(ic.host ? { service: ic.host } : {}) } }
          : { cluster: { name: c.cluster } };
        patches.push({ patch: { applyTo: 'CLUSTER', match, patch: { operation: 'MERGE', value } }, change: c });
      } else if (c.kind === 'listener-buffer-limit' || c.kind === 'listener-tcp-keepalive') {
        const value =
          c.kind === 'listener-buffer-limit'
            ? { per_connection_buffer_limit_bytes: c.bytes }
            : {
                socket_options: [
                  { level: 1, name: 9, int_value: 1, state: 'STATE_PREBIND' },
                  { level: 6, name: 4, int_value: c.timeSeconds, state: 'STATE_PREBIND' },
                  { level: 6, name: 5, int_value: c.intervalSeconds, state: 'STATE_PREBIND' },
                  { level: 6, name: 6, int_value: c.probes, state: 'STATE_PREBIND' },
                ],
              };
        patches.push({ patch: { applyTo: 'LISTENER', match: { listener: { name: c.listener } }, patch: { operation: 'MERGE', value } }, change: c });
      }
    }
    if (patches.length > 0) {
      const name = `${s.id}-connection`.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').slice(0, 253);
      out.push({
        fix: {
          flavor: 'istio',
          target: `EnvoyFilter ${namespace}/${name}`,
          apply: 'kubectl-apply',
          format: 'yaml',
          text: yamlOf({
            apiVersion: 'networking.istio.io/v1alpha3',
            kind: 'EnvoyFilter',
            metadata: { name, namespace },
            spec: { configPatches: patches.map((p) => p.patch) },
          }),
          notes: [{ code: 'envoyfilter-add-workload-selector', values: { namespace } }],
        },
        changes: patches.map((p) => p.change),
      });
    }
    return out;
  },
};
