// Fixes as Envoy Gateway policies (gateway.envoyproxy.io/v1alpha1, envoyproxy/gateway api/v1alpha1):
// BackendTrafficPolicy `connection.bufferLimit` and `tcpKeepalive` for the xRoute behind a cluster
// (internal/gatewayapi/clustersettings.go), ClientTrafficPolicy `connection.bufferLimit` and `tcpKeepalive`
// for a Gateway listener via targetRefs[].sectionName (internal/gatewayapi/clienttrafficpolicy.go).
// A route-level BackendTrafficPolicy replaces a gateway-level one outright unless it sets mergeType
// (StrategicMerge, Envoy Gateway >= 1.4, route targets only), so the policies rendered here set it.

import { stringify } from 'yaml';
import type { FixChange, RenderedFix } from '../model/finding.ts';
import { type KubeObject, policyTargets, routeBackendPolicies } from '../model/kubernetes.ts';
import type { Snapshot, SourceObject } from '../model/snapshot.ts';
import { routeByName } from '../model/topology.ts';
import { gatewayDuration } from '../parse/durations.ts';
import { quantity } from './quantity.ts';
import { changeTarget, deepMerge } from './changes.ts';
import type { FixRenderer, RenderedChangeSet } from './renderer.ts';
import { envoyProxyObjects, type EnvoyProxyPatch, gatewayListenerOf, objectName } from './gateway-objects.ts';
import { envoyGatewayStatsMatches } from './stats-inclusion.ts';

const ROUTE_KINDS = new Set(['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'UDPRoute']);

function routeOf(s: Snapshot, cluster: string): SourceObject | undefined {
  return s.clusters.get(cluster)?.sources.find((o) => ROUTE_KINDS.has(o.kind));
}



/** The part of a policy's `spec` one change sets (undefined when the policy cannot express it). */
function specPatch(c: FixChange): Record<string, unknown> | undefined {
  switch (c.kind) {
    case 'cluster-buffer-limit':
    case 'listener-buffer-limit':
      return { connection: { bufferLimit: quantity(c.bytes) } };
    case 'cluster-tcp-keepalive':
    case 'listener-tcp-keepalive':
      return { tcpKeepalive: { probes: c.probes, idleTime: gatewayDuration(c.timeSeconds * 1000), interval: gatewayDuration(c.intervalSeconds * 1000) } };
    case 'route-timeout':
      return { timeout: { http: { requestTimeout: gatewayDuration(c.ms) } } };
    case 'route-idle-timeout':
    case 'listener-stream-idle-timeout':
      return { timeout: { http: { streamIdleTimeout: gatewayDuration(c.ms) } } };
    case 'cluster-max-connection-duration':
      // Unset means unlimited; a policy cannot say "none", so a limit to lift is a field to remove (see the note).
      return c.ms > 0 ? { timeout: { http: { maxConnectionDuration: gatewayDuration(c.ms) } } } : undefined;
    case 'cluster-circuit-breakers':
      return { circuitBreaker: { maxConnections: c.maxConnections, maxPendingRequests: c.maxPendingRequests, maxParallelRequests: c.maxRequests } };
    case 'route-websocket-upgrade':
      return { httpUpgrade: [{ type: 'websocket' }] };
    case 'cluster-client-protocol':
      return { useClientProtocol: true };
    case 'route-disable-request-buffer':
      // Removal: handled on the whole object (a patch cannot delete a field).
      return undefined;
    case 'listener-max-stream-duration':
      // ClientTrafficPolicy connection.connectionLimit.maxStreamDuration sets the connection manager's limit
      // (internal/xds/translator/listener.go); lifting it is removing the field.
      return c.ms > 0 ? { connection: { connectionLimit: { maxStreamDuration: gatewayDuration(c.ms) } } } : undefined;
    case 'tcp-proxy-idle-timeout':
      return { timeout: { tcp: { idleTimeout: gatewayDuration(c.ms) } } };
    case 'listener-allow-connect':
    case 'proxy-drain-time':
      // Not policy fields: an EnvoyPatchPolicy and the EnvoyProxy (see otherObjects).
      return undefined;
    case 'policy-fields':
      return c.fields;
    case 'stats-inclusion':
      // The EnvoyProxy, not a traffic policy: see stats-inclusion.ts.
      return undefined;
  }
}

/** The spec fields a group of changes sets, merged (copied policy fields last, so a user's own values win). */
function specFields(changes: FixChange[]): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  for (const c of changes.filter((x) => x.kind !== 'policy-fields')) {
    const patch = specPatch(c);
    if (patch) deepMerge(spec, patch);
  }
  for (const c of changes.filter((x) => x.kind === 'policy-fields')) deepMerge(spec, specPatch(c) ?? {});
  return spec;
}

/** The object a group of changes lands in: an existing policy to patch, or a new one. */
interface PolicyTarget {
  key: string;
  kind: 'BackendTrafficPolicy' | 'ClientTrafficPolicy';
  namespace: string;
  name: string;
  targetRef: Record<string, string>;
  /** The live object, when the change patches an existing policy. */
  existing?: KubeObject;
  route?: string;
}

function backendTarget(s: Snapshot, c: FixChange): PolicyTarget | undefined {
  if (c.kind === 'policy-fields') {
    const existing = s.kubernetes?.backendTrafficPolicies.find((p) => p.metadata.namespace === c.policy.namespace && p.metadata.name === c.policy.name);
    if (!existing) return undefined;
    return { key: `BackendTrafficPolicy|${c.policy.namespace}|${c.policy.name}`, kind: 'BackendTrafficPolicy', namespace: c.policy.namespace, name: c.policy.name, targetRef: {}, existing };
  }
  const target = changeTarget(c);
  if (target.kind !== 'cluster' && target.kind !== 'route') return undefined;
  const route = target.kind === 'cluster' ? routeOf(s, target.name) : routeByName(s, target.name)?.sources.find((o) => ROUTE_KINDS.has(o.kind));
  if (!route) return undefined;
  // Patch the route-level policy that already wins for this route, instead of adding a second one that would conflict.
  const existing = s.kubernetes ? routeBackendPolicies(s.kubernetes, route.kind, route.namespace, route.name)[0] : undefined;
  if (existing) {
    const namespace = existing.metadata.namespace ?? route.namespace;
    return { key: `BackendTrafficPolicy|${namespace}|${existing.metadata.name}`, kind: 'BackendTrafficPolicy', namespace, name: existing.metadata.name, targetRef: {}, existing, route: `${route.namespace}/${route.name}` };
  }
  const name = objectName(route.name, 'connection');
  return {
    key: `BackendTrafficPolicy|${route.namespace}|${name}`,
    kind: 'BackendTrafficPolicy',
    namespace: route.namespace,
    name,
    targetRef: { group: 'gateway.networking.k8s.io', kind: route.kind, name: route.name },
    route: `${route.namespace}/${route.name}`,
  };
}

function clientTarget(s: Snapshot, c: FixChange): PolicyTarget | undefined {
  const target = changeTarget(c);
  if (target.kind !== 'listener') return undefined;
  const gw = gatewayListenerOf(s, target.name);
  if (!gw) return undefined;
  const sectionName = gw.sectionName as string;
  const existing = s.kubernetes?.clientTrafficPolicies.find(
    (p) => p.metadata.namespace === gw.namespace && policyTargets(p).some((t) => t.kind === 'Gateway' && t.name === gw.name && t.sectionName === sectionName),
  );
  if (existing) {
    return { key: `ClientTrafficPolicy|${gw.namespace}|${existing.metadata.name}`, kind: 'ClientTrafficPolicy', namespace: gw.namespace, name: existing.metadata.name, targetRef: {}, existing };
  }
  const name = objectName(gw.name, sectionName, 'connection');
  return {
    key: `ClientTrafficPolicy|${gw.namespace}|${name}`,
    kind: 'ClientTrafficPolicy',
    namespace: gw.namespace,
    name,
    targetRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gw.name, sectionName },
  };
}

/** Removes a nested field from a copy-on-write spec, copying the objects on the way. */
function removeField(spec: Record<string, unknown>, path: string[]): void {
  let cur = spec;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    if (!next || typeof next !== 'object' || Array.isArray(next)) return;
    cur[key] = { ...(next as Record<string, unknown>) };
    cur = cur[key] as Record<string, unknown>;
  }
  delete cur[path[path.length - 1] as string];
}

/** The policy object: the live one with its fields kept (status and server-set metadata dropped), or a new one. */
function policyObject(t: PolicyTarget, changes: FixChange[]): Record<string, unknown> {
  const fields = specFields(changes);
  if (t.existing) {
    const metadata: Record<string, unknown> = { name: t.existing.metadata.name, namespace: t.namespace };
    const spec = deepMerge({ ...(t.existing.spec ?? {}) }, fields);
    if (changes.some((c) => c.kind === 'route-disable-request-buffer')) delete spec.requestBuffer;
    if (changes.some((c) => c.kind === 'listener-max-stream-duration' && c.ms === 0)) removeField(spec, ['connection', 'connectionLimit', 'maxStreamDuration']);
    if (t.existing.metadata.labels) metadata.labels = t.existing.metadata.labels;
    return {
      apiVersion: t.existing.apiVersion,
      kind: t.kind,
      metadata,
      spec,
    };
  }
  const merge = t.kind === 'BackendTrafficPolicy' ? { mergeType: 'StrategicMerge' } : {};
  return { apiVersion: 'gateway.envoyproxy.io/v1alpha1', kind: t.kind, metadata: { name: t.name, namespace: t.namespace }, spec: { targetRefs: [t.targetRef], ...merge, ...fields } };
}


/**
 * Changes no traffic policy can express, per Gateway: `allow_connect` through an EnvoyPatchPolicy (a JSON patch of
 * the listener's connection manager; Envoy Gateway has no field for it), and the drain time through the EnvoyProxy's
 * `shutdown.drainTimeout`, which sets `--drain-time-s` (internal/infrastructure/common/proxy_args.go).
 */
function proxyObjects(s: Snapshot, changes: FixChange[]): RenderedChangeSet[] {
  const out: RenderedChangeSet[] = [];
  const patches: EnvoyProxyPatch[] = [];
  const byGateway = new Map<string, { gateway: SourceObject; connect: FixChange[]; drain: FixChange[] }>();
  for (const c of changes) {
    if (c.kind !== 'listener-allow-connect' && c.kind !== 'proxy-drain-time') continue;
    const gateway = gatewayListenerOf(s, c.listener);
    if (!gateway) continue;
    const key = `${gateway.namespace}/${gateway.name}`;
    const entry = byGateway.get(key) ?? { gateway, connect: [], drain: [] };
    (c.kind === 'listener-allow-connect' ? entry.connect : entry.drain).push(c);
    byGateway.set(key, entry);
  }
  for (const { gateway, connect, drain } of byGateway.values()) {
    if (connect.length > 0) {
      const name = objectName(gateway.name, 'allow-connect');
      const listeners = [...new Set(connect.map((c) => (c.kind === 'listener-allow-connect' ? c.listener : '')))];
      const policy = {
        apiVersion: 'gateway.envoyproxy.io/v1alpha1',
        kind: 'EnvoyPatchPolicy',
        metadata: { name, namespace: gateway.namespace },
        spec: {
          targetRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gateway.name },
          type: 'JSONPatch',
          jsonPatches: listeners.map((listener) => ({
            type: 'type.googleapis.com/envoy.config.listener.v3.Listener',
            name: listener,
            operation: {
              op: 'add',
              jsonPath: "..filters[?(@.name=='envoy.filters.network.http_connection_manager')]",
              path: '/typed_config/http2_protocol_options/allow_connect',
              value: true,
            },
          })),
        },
      };
      out.push({
        fix: {
          flavor: 'envoy-gateway',
          target: `EnvoyPatchPolicy ${gateway.namespace}/${name}`,
          apply: 'kubectl-apply',
          format: 'yaml',
          text: stringify(policy, { lineWidth: 0 }),
          notes: [{ code: 'envoy-patch-policy-enable', values: {} }, { code: 'alpn-http11-alternative', values: { gateway: `${gateway.namespace}/${gateway.name}` } }],
        },
        changes: connect,
      });
    }
    if (drain.length > 0) {
      const seconds = Math.max(...drain.map((c) => (c.kind === 'proxy-drain-time' ? c.seconds : 0)));
      patches.push({ gateway, spec: { shutdown: { drainTimeout: gatewayDuration(seconds * 1000) } }, notes: [{ code: 'drain-timeout-slows-shutdown', values: { drainSeconds: seconds } }], changes: drain });
    }
  }
  const stats = envoyGatewayStatsMatches(s, changes);
  if (stats) patches.push(stats);
  return [...out, ...envoyProxyObjects(s, patches)];
}

export const envoyGatewayRenderer: FixRenderer = {
  flavor: 'envoy-gateway',
  render(s: Snapshot, changes: FixChange[]): RenderedChangeSet[] {
    const targets = new Map<string, { target: PolicyTarget; changes: FixChange[] }>();
    for (const c of changes) {
      if (c.kind === 'listener-allow-connect' || c.kind === 'proxy-drain-time') continue;
      const t = backendTarget(s, c) ?? clientTarget(s, c);
      if (!t) continue;
      const entry = targets.get(t.key) ?? { target: t, changes: [] };
      entry.changes.push(c);
      targets.set(t.key, entry);
    }
    // A new listener-level ClientTrafficPolicy that sets nothing would still replace a Gateway-wide one: none is rendered.
    const rendered = [...targets.values()].filter(({ target: t, changes: group }) => t.existing || Object.keys(specFields(group)).length > 0 || t.kind === 'BackendTrafficPolicy');
    const policies = rendered.map(({ target: t, changes: group }) => {
      const notes: RenderedFix['notes'] = [];
      if (t.existing) notes.push({ code: 'patches-winning-policy', values: { policy: `${t.namespace}/${t.name}` } });
      if (!t.existing && group.some((c) => c.kind === 'route-disable-request-buffer')) {
        notes.push({ code: 'remove-policy-field', values: { field: 'requestBuffer' } });
      }
      if (group.some((c) => c.kind === 'cluster-max-connection-duration' && c.ms === 0)) {
        notes.push({ code: 'remove-policy-field', values: { field: 'timeout.http.maxConnectionDuration' } });
      }
      else if (t.kind === 'BackendTrafficPolicy') notes.push({ code: 'policy-may-be-overridden', values: { route: t.route ?? '' } });
      if (t.kind === 'ClientTrafficPolicy') {
        if (!t.existing && group.some((c) => c.kind === 'listener-max-stream-duration' && c.ms === 0)) {
          notes.push({ code: 'remove-policy-field', values: { field: 'connection.connectionLimit.maxStreamDuration' } });
        }
        if (group.some((c) => c.kind === 'listener-buffer-limit')) notes.push({ code: 'listener-limit-pauses-upstream', values: {} });
        if (!t.existing) notes.push({ code: 'client-policy-may-be-overridden', values: { gateway: `${t.namespace}/${String(t.targetRef.name)}`, listener: String(t.targetRef.sectionName) } });
      }
      const fix: RenderedFix = {
        flavor: 'envoy-gateway',
        target: `${t.kind} ${t.namespace}/${t.name}`,
        apply: 'kubectl-apply',
        format: 'yaml',
        text: stringify(policyObject(t, group), { lineWidth: 0 }),
        notes,
      };
      return { fix, changes: group };
    });
    return [...policies, ...proxyObjects(s, changes)];
  },
};
