// Which Envoy Gateway release runs a proxy's control plane, as far as the inputs tell. The release comes from the
// controller when the objects name it (`envoyGatewayVersion`, the image tag of the controller's Deployment, read in
// live runs and kept in bundles); otherwise the inputs give a lower bound: xDS metadata naming source policies
// (`filter_metadata["envoy-gateway"].policies`, >= 1.7) or resources (>= 1.1), and live policies holding a field the
// API server would have pruned from an older CRD (envoyproxy/gateway charts/gateway-crds-helm, per release).

import { compareVersions } from './envoy-version.ts';
import type { KubeObject } from './kubernetes.ts';
import { liveText } from './live-resources.ts';
import type { Snapshot } from './snapshot.ts';

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
  {
    kind: 'backendTrafficPolicies',
    path: ['timeout', 'http', 'streamIdleTimeout'],
    since: '1.8.0',
    name: 'BackendTrafficPolicy timeout.http.streamIdleTimeout',
  },
  {
    kind: 'clientTrafficPolicies',
    path: ['connection', 'connectionLimit', 'maxStreamDuration'],
    since: '1.6.0',
    name: 'ClientTrafficPolicy connection.connectionLimit.maxStreamDuration',
  },
  {
    kind: 'backendTrafficPolicies',
    path: ['timeout', 'http', 'maxStreamDuration'],
    since: '1.6.0',
    name: 'BackendTrafficPolicy timeout.http.maxStreamDuration',
  },
  { kind: 'clientTrafficPolicies', path: ['timeout', 'http', 'streamIdleTimeout'], since: '1.5.0', name: 'ClientTrafficPolicy timeout.http.streamIdleTimeout' },
  { kind: 'backendTrafficPolicies', path: ['mergeType'], since: '1.4.0', name: 'BackendTrafficPolicy mergeType' },
  { kind: 'backendTrafficPolicies', path: ['httpUpgrade'], since: '1.4.0', name: 'BackendTrafficPolicy httpUpgrade' },
  { kind: 'backendTrafficPolicies', path: ['timeout', 'http', 'requestTimeout'], since: '1.2.0', name: 'BackendTrafficPolicy timeout.http.requestTimeout' },
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

/** The release an image tag names (`docker.io/envoyproxy/gateway:v1.8.1`, with or without a digest); undefined for `latest`. */
export function imageRelease(image: string): string | undefined {
  const name = image.split('@')[0] as string;
  const tag = /:([^/:]+)$/.exec(name)?.[1];
  return tag === undefined ? undefined : versionRe.exec(tag)?.[1];
}

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
  const told = s.kubernetes?.envoyGatewayVersion;
  const m = typeof told === 'string' ? versionRe.exec(told) : null;
  if (m) {
    const controller = s.kubernetes?.envoyGatewayController;
    return { version: m[1] as string, source: controller !== undefined ? `controller ${controller}` : 'the Envoy Gateway controller' };
  }
  let floor: { since: string; source: string } | undefined;
  const raise = (since: string, source: string) => {
    if (!floor || (compareVersions(since, floor.since) ?? 0) > 0) floor = { since, source };
  };
  for (const f of FIELD_FLOORS) {
    const list: KubeObject[] = s.kubernetes?.[f.kind] ?? [];
    if (list.some((p) => has(p.spec, f.path))) raise(f.since, `a live ${f.name}`);
  }
  if ((s.kubernetes?.envoyProxies ?? []).some((p) => p.spec?.mergeType !== undefined)) raise('1.8.0', 'a live EnvoyProxy mergeType');
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

/** The detected version as a report shows it: `1.8.1`, `>= 1.7.0`, or `unknown`. */
export function describeVersion(v: DetectedVersion): string {
  if (v.version !== undefined) return v.version;
  if (v.atLeast !== undefined) return `>= ${v.atLeast}`;
  return 'unknown';
}
