// Which Envoy Gateway release runs a proxy, as far as the inputs tell, and which policy fields it accepts.
// Minimum versions (envoyproxy/gateway api/v1alpha1 and release notes): ClientTrafficPolicy
// `timeout.http.streamIdleTimeout` 1.5, `connection.connectionLimit.maxStreamDuration` 1.6; BackendTrafficPolicy
// `mergeType` 1.4, `timeout.http.streamIdleTimeout` 1.8; `requestBuffer` refused together with `httpUpgrade` from
// 1.8.0; ws/wss appProtocol forcing HTTP/1.1 upstream: Backend from 1.8.0, Service `kubernetes.io/ws|wss` from 1.8.1.
// The version comes from the controller when the bundle's kubernetes.json names it (`envoyGatewayVersion`, the
// controller's image tag); otherwise the inputs give a lower bound: xDS metadata naming source policies (`filter_metadata
// ["envoy-gateway"].policies`, >= 1.7) or resources (>= 1.1), and live policies holding a field the API server
// would have pruned from an older CRD.

import { compareVersions } from '../model/envoy-version.ts';
import type { KubeObject } from '../model/kubernetes.ts';
import { liveText } from '../model/live-resources.ts';
import type { Snapshot } from '../model/snapshot.ts';

/** Envoy Gateway fields and behaviours that need a minimum release. */
export const ENVOY_GATEWAY_SINCE = {
  'BackendTrafficPolicy.spec.mergeType': '1.4.0',
  'ClientTrafficPolicy.spec.timeout.http.streamIdleTimeout': '1.5.0',
  'ClientTrafficPolicy.spec.connection.connectionLimit.maxStreamDuration': '1.6.0',
  'BackendTrafficPolicy.spec.timeout.http.streamIdleTimeout': '1.8.0',
  /** From this release a policy with both `requestBuffer` and `httpUpgrade` is refused. */
  'BackendTrafficPolicy.spec.requestBuffer+httpUpgrade refused': '1.8.0',
  'Backend appProtocol ws/wss forces HTTP/1.1': '1.8.0',
  'Service appProtocol kubernetes.io/ws|wss forces HTTP/1.1': '1.8.1',
} as const;

/** A field or behaviour that needs a minimum Envoy Gateway release. */
export type GatedFeature = keyof typeof ENVOY_GATEWAY_SINCE;

/** What the inputs say about the Envoy Gateway release. */
export interface DetectedVersion {
  /** The release, when a collector read it. */
  version?: string;
  /** Otherwise the lowest release the inputs are consistent with. */
  atLeast?: string;
  /** Where it was read. */
  source: string;
}

/** Live policy fields whose presence shows the CRDs are at least that release (an older API server prunes them). */
const FIELD_FLOORS: Array<{ kind: 'backendTrafficPolicies' | 'clientTrafficPolicies'; path: string[]; since: string; name: string }> = [
  { kind: 'backendTrafficPolicies', path: ['timeout', 'http', 'streamIdleTimeout'], since: '1.8.0', name: 'BackendTrafficPolicy timeout.http.streamIdleTimeout' },
  { kind: 'clientTrafficPolicies', path: ['connection', 'connectionLimit', 'maxStreamDuration'], since: '1.6.0', name: 'ClientTrafficPolicy connection.connectionLimit.maxStreamDuration' },
  { kind: 'clientTrafficPolicies', path: ['timeout', 'http', 'streamIdleTimeout'], since: '1.5.0', name: 'ClientTrafficPolicy timeout.http.streamIdleTimeout' },
  { kind: 'backendTrafficPolicies', path: ['mergeType'], since: '1.4.0', name: 'BackendTrafficPolicy mergeType' },
];

function has(o: unknown, path: string[]): boolean {
  let cur = o;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return false;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur !== undefined;
}

const versionRe = /^v?(\d+\.\d+(?:\.\d+)?)/;

/** A live resource's `metadata.filter_metadata["envoy-gateway"]` (`filterMetadata` as egctl writes it). */
function envoyGatewayMetadata(text: string): Record<string, unknown> | undefined {
  let resource: { metadata?: { filter_metadata?: Record<string, unknown>; filterMetadata?: Record<string, unknown> } };
  try {
    resource = JSON.parse(text) as typeof resource;
  } catch {
    return undefined;
  }
  const meta = (resource?.metadata?.filter_metadata ?? resource?.metadata?.filterMetadata)?.['envoy-gateway'];
  return meta && typeof meta === 'object' ? (meta as Record<string, unknown>) : undefined;
}

/** The Envoy Gateway release of a snapshot's control plane, or the lowest it can be. */
export function envoyGatewayVersion(s: Snapshot): DetectedVersion {
  // Not a list of objects: a bundle's kubernetes.json may carry it beside them.
  const told = (s.kubernetes as { envoyGatewayVersion?: unknown } | undefined)?.envoyGatewayVersion;
  const m = typeof told === 'string' ? versionRe.exec(told) : null;
  if (m) return { version: m[1] as string, source: 'the Envoy Gateway controller' };
  let floor: { since: string; source: string } | undefined;
  const raise = (since: string, source: string) => {
    if (!floor || (compareVersions(since, floor.since) ?? 0) > 0) floor = { since, source };
  };
  for (const f of FIELD_FLOORS) {
    const list: KubeObject[] = s.kubernetes?.[f.kind] ?? [];
    if (list.some((p) => has(p.spec, f.path))) raise(f.since, `a live ${f.name}`);
  }
  // A few resources are enough: every Envoy Gateway resource carries the same metadata.
  let looked = 0;
  for (const model of [...s.listeners, ...s.clusters.values()]) {
    if (looked++ >= 50) break;
    const text = liveText(model);
    if (text === undefined || !text.includes('"envoy-gateway"')) continue;
    // The keys of the resource's own envoy-gateway metadata: a load_balancing_policy has a `policies` list too.
    const meta = envoyGatewayMetadata(text);
    if (meta?.policies !== undefined) raise('1.7.0', 'xDS metadata naming policies');
    else if (meta?.resources !== undefined) raise('1.1.0', 'xDS metadata naming resources');
  }
  return floor ? { atLeast: floor.since, source: floor.source } : { source: 'unknown' };
}

/** Whether the detected release has a feature: yes, no, or unknown (no version, or a lower bound below it). */
export function supports(v: DetectedVersion, feature: GatedFeature): 'yes' | 'no' | 'unknown' {
  const since = ENVOY_GATEWAY_SINCE[feature];
  if (v.version !== undefined) {
    const c = compareVersions(v.version, since);
    return c === undefined ? 'unknown' : c >= 0 ? 'yes' : 'no';
  }
  if (v.atLeast !== undefined && (compareVersions(v.atLeast, since) ?? -1) >= 0) return 'yes';
  return 'unknown';
}

/** The detected version as a report shows it: `1.8.1`, `>= 1.7.0`, or `unknown`. */
export function describeVersion(v: DetectedVersion): string {
  if (v.version !== undefined) return v.version;
  if (v.atLeast !== undefined) return `>= ${v.atLeast}`;
  return 'unknown';
}

/** The highest of some minimum versions. */
export function highest(versions: string[]): string | undefined {
  return versions.reduce<string | undefined>((max, v) => (max === undefined || (compareVersions(v, max) ?? 0) > 0 ? v : max), undefined);
}
