// Fixes as Envoy Gateway policies (gateway.envoyproxy.io/v1alpha1, envoyproxy/gateway api/v1alpha1):
// BackendTrafficPolicy `connection.bufferLimit` and `tcpKeepalive` for the xRoute behind a cluster
// (internal/gatewayapi/clustersettings.go), ClientTrafficPolicy `connection.bufferLimit` and `tcpKeepalive`
// for a Gateway listener via targetRefs[].sectionName (internal/gatewayapi/clienttrafficpolicy.go).
// A route-level BackendTrafficPolicy replaces a gateway-level one outright unless it sets mergeType
// (StrategicMerge, Envoy Gateway >= 1.4, route targets only), so the policies rendered here set it.

import { stringify } from 'yaml';
import type { FixChange, RenderedFix } from '../model/finding.ts';
import type { Snapshot, SourceObject } from '../model/snapshot.ts';
import { gatewayDuration } from '../parse/durations.ts';
import { quantity } from './quantity.ts';
import { type FixRenderer, groupBy, type RenderedChangeSet } from './renderer.ts';

const ROUTE_KINDS = new Set(['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'UDPRoute']);

function routeOf(s: Snapshot, cluster: string): SourceObject | undefined {
  return s.clusters.get(cluster)?.sources.find((o) => ROUTE_KINDS.has(o.kind));
}

function gatewayListenerOf(s: Snapshot, listener: string): SourceObject | undefined {
  return s.listeners.find((l) => l.name === listener)?.sources.find((o) => o.kind === 'Gateway' && o.sectionName !== undefined);
}

/** Kubernetes object names: lowercase RFC 1123, at most 253 characters. */
function objectName(...parts: string[]): string {
  return parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 253);
}

interface PolicySettings {
  bufferBytes?: number;
  keepalive?: { probes: number; timeSeconds: number; intervalSeconds: number };
}

function settingsOf(changes: FixChange[]): PolicySettings {
  const out: PolicySettings = {};
  for (const c of changes) {
    if (c.kind === 'cluster-buffer-limit' || c.kind === 'listener-buffer-limit') out.bufferBytes = Math.max(out.bufferBytes ?? 0, c.bytes);
    else out.keepalive = { probes: c.probes, timeSeconds: c.timeSeconds, intervalSeconds: c.intervalSeconds };
  }
  return out;
}

function specFields(settings: PolicySettings): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  if (settings.bufferBytes !== undefined) spec.connection = { bufferLimit: quantity(settings.bufferBytes) };
  if (settings.keepalive) {
    spec.tcpKeepalive = {
      probes: settings.keepalive.probes,
      idleTime: gatewayDuration(settings.keepalive.timeSeconds * 1000),
      interval: gatewayDuration(settings.keepalive.intervalSeconds * 1000),
    };
  }
  return spec;
}

function policy(kind: string, name: string, namespace: string, targetRef: Record<string, string>, settings: PolicySettings, merge: boolean): string {
  return stringify(
    {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind,
      metadata: { name, namespace },
      spec: { targetRefs: [targetRef], ...(merge ? { mergeType: 'StrategicMerge' } : {}), ...specFields(settings) },
    },
    { lineWidth: 0 },
  );
}

export const envoyGatewayRenderer: FixRenderer = {
  flavor: 'envoy-gateway',
  render(s: Snapshot, changes: FixChange[]): RenderedChangeSet[] {
    const out: RenderedChangeSet[] = [];
    const clusterChanges = changes.filter((c) => c.kind === 'cluster-buffer-limit' || c.kind === 'cluster-tcp-keepalive');
    const listenerChanges = changes.filter((c) => c.kind === 'listener-buffer-limit' || c.kind === 'listener-tcp-keepalive');
    const byRoute = groupBy(clusterChanges, (c) => {
      const route = 'cluster' in c ? routeOf(s, c.cluster) : undefined;
      return route ? `${route.kind}|${route.namespace}|${route.name}` : undefined;
    });
    for (const [key, group] of byRoute) {
      if (key === undefined) continue;
      const [kind, namespace, name] = key.split('|') as [string, string, string];
      const fix: RenderedFix = {
        flavor: 'envoy-gateway',
        target: `BackendTrafficPolicy ${namespace}/${objectName(name, 'connection')}`,
        apply: 'kubectl-apply',
        format: 'yaml',
        text: policy('BackendTrafficPolicy', objectName(name, 'connection'), namespace, { group: 'gateway.networking.k8s.io', kind, name }, settingsOf(group), true),
        notes: [{ code: 'policy-may-be-overridden', values: { route: `${namespace}/${name}` } }],
      };
      out.push({ fix, changes: group });
    }
    const byListener = groupBy(listenerChanges, (c) => {
      const gw = 'listener' in c ? gatewayListenerOf(s, c.listener) : undefined;
      return gw ? `${gw.namespace}|${gw.name}|${gw.sectionName}` : undefined;
    });
    for (const [key, group] of byListener) {
      if (key === undefined) continue;
      const [namespace, gateway, section] = key.split('|') as [string, string, string];
      const name = objectName(gateway, section, 'connection');
      const fix: RenderedFix = {
        flavor: 'envoy-gateway',
        target: `ClientTrafficPolicy ${namespace}/${name}`,
        apply: 'kubectl-apply',
        format: 'yaml',
        text: policy('ClientTrafficPolicy', name, namespace, { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gateway, sectionName: section }, settingsOf(group), false),
        notes: [
          ...(group.some((c) => c.kind === 'listener-buffer-limit') ? [{ code: 'listener-limit-pauses-upstream', values: {} }] : []),
          { code: 'client-policy-may-be-overridden', values: { gateway: `${namespace}/${gateway}`, listener: section } },
        ],
      };
      out.push({ fix, changes: group });
    }
    return out;
  },
};
