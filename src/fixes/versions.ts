// Which Envoy Gateway fields a rendered fix may set, by the release that runs the proxy (detected in
// src/model/envoy-gateway-version.ts). Every field the renderers emit that some supported release lacks is listed
// with the first release whose CRD declares it (envoyproxy/gateway charts/gateway-helm/crds/generated up to v1.3,
// charts/gateway-crds-helm/templates/generated from v1.4, gateway.envoyproxy.io_*.yaml at each tag v1.0.0 to v1.9.0);
// fields every release declares (circuitBreaker, tcpKeepalive, timeout.http.connectionIdleTimeout and
// maxConnectionDuration, EnvoyProxy shutdown.drainTimeout and telemetry.metrics.matches, EnvoyPatchPolicy
// jsonPatches) need no entry. Behaviours: `requestBuffer` refused together with `httpUpgrade` from 1.8.0; ws/wss
// appProtocol forcing HTTP/1.1 upstream: Backend from 1.8.0, Service `kubernetes.io/ws|wss` from 1.8.1.

import { noteType } from '../model/catalogue-entry.ts';
import type { EvidenceValue, Explanation } from '../model/finding.ts';
import { compareVersions } from '../model/envoy-version.ts';
import { type DetectedVersion, describeVersion } from '../model/envoy-gateway-version.ts';

import { note } from './fix-kind.ts';

export { type DetectedVersion, describeVersion, envoyGatewayVersion } from '../model/envoy-gateway-version.ts';

/** A change left out because the detected release lacks its field. */
const FIELD_LEFT_OUT = noteType<{ field: EvidenceValue; since: EvidenceValue; version: EvidenceValue }>()(
  'envoy-gateway-field-left-out',
  '{field} is left out: it needs Envoy Gateway >= {since}, and this one is {version}',
);
/** The release a fix needs, beside every fix that sets a gated field. */
const MINIMUM_VERSION = noteType<{ minimum: EvidenceValue; fields: EvidenceValue; version: EvidenceValue }>()(
  'envoy-gateway-minimum-version',
  'needs Envoy Gateway >= {minimum} for {fields} (detected: {version}); an older release rejects or ignores them',
);

/** The note types declared here. */
export const NOTE_TYPES = [FIELD_LEFT_OUT, MINIMUM_VERSION];

/** Envoy Gateway fields (`<Kind>.spec.<path>`) and behaviours that need a minimum release. */
export const ENVOY_GATEWAY_SINCE = {
  'BackendTrafficPolicy.spec.targetRefs': '1.1.0',
  'BackendTrafficPolicy.spec.connection.bufferLimit': '1.1.0',
  'BackendTrafficPolicy.spec.useClientProtocol': '1.1.0',
  'BackendTrafficPolicy.spec.timeout.http.requestTimeout': '1.2.0',
  'BackendTrafficPolicy.spec.mergeType': '1.4.0',
  'BackendTrafficPolicy.spec.httpUpgrade': '1.4.0',
  'BackendTrafficPolicy.spec.timeout.http.maxStreamDuration': '1.6.0',
  'BackendTrafficPolicy.spec.timeout.http.streamIdleTimeout': '1.8.0',
  'ClientTrafficPolicy.spec.targetRefs': '1.1.0',
  'ClientTrafficPolicy.spec.connection.bufferLimit': '1.1.0',
  'ClientTrafficPolicy.spec.timeout.tcp.idleTimeout': '1.1.0',
  'ClientTrafficPolicy.spec.timeout.http.streamIdleTimeout': '1.5.0',
  'ClientTrafficPolicy.spec.connection.connectionLimit.maxStreamDuration': '1.6.0',
  'EnvoyPatchPolicy.spec.jsonPatches.operation.jsonPath': '1.2.0',
  'EnvoyProxy.spec.provider.kubernetes.envoyDaemonSet': '1.1.0',
  'EnvoyProxy.spec.bootstrap.jsonPatches': '1.2.0',
  'EnvoyProxy.spec.mergeType': '1.8.0',
  /** From this release a policy with both `requestBuffer` and `httpUpgrade` is refused. */
  'BackendTrafficPolicy.spec.requestBuffer+httpUpgrade refused': '1.8.0',
  'Backend appProtocol ws/wss forces HTTP/1.1': '1.8.0',
  'Service appProtocol kubernetes.io/ws|wss forces HTTP/1.1': '1.8.1',
} as const;

/** A field or behaviour that needs a minimum Envoy Gateway release. */
export type GatedFeature = keyof typeof ENVOY_GATEWAY_SINCE;

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

/** Whether a path (from part `at`) is set in a JSON value, through any element of the arrays on the way. */
function present(value: unknown, path: readonly string[], at = 0): boolean {
  if (at === path.length) return value !== undefined;
  if (Array.isArray(value)) return value.some((v) => present(v, path, at));
  if (value === null || typeof value !== 'object') return false;
  return present((value as Record<string, unknown>)[path[at] as string], path, at + 1);
}

/** The gated fields of each kind's spec (`BackendTrafficPolicy.spec.httpUpgrade`), with their paths in the spec. */
const GATED_FIELDS: ReadonlyMap<string, ReadonlyArray<{ feature: GatedFeature; path: string[] }>> = (() => {
  const byKind = new Map<string, Array<{ feature: GatedFeature; path: string[] }>>();
  for (const feature of Object.keys(ENVOY_GATEWAY_SINCE) as GatedFeature[]) {
    const spec = feature.indexOf('.spec.');
    if (spec <= 0 || feature.includes(' ')) continue;
    const kind = feature.slice(0, spec);
    const fields = byKind.get(kind) ?? [];
    fields.push({ feature, path: feature.slice(spec + '.spec.'.length).split('.') });
    byKind.set(kind, fields);
  }
  return byKind;
})();

/** The gated fields a fragment of a `kind`'s spec sets (`{ timeout: { http: { streamIdleTimeout } } }`). */
export function gatedFields(kind: string, spec: Record<string, unknown> | undefined): GatedFeature[] {
  const out: GatedFeature[] = [];
  for (const { feature, path } of GATED_FIELDS.get(kind) ?? []) if (present(spec, path)) out.push(feature);
  return out;
}

/**
 * What one change's fragment of a `kind`'s spec needs: the gated fields it sets, or, when the release lacks any of
 * them, a left-out note for each (the fragment is then left out whole: a part of it could mean something else).
 */
export function gateFragment(
  kind: string,
  spec: Record<string, unknown> | undefined,
  version: DetectedVersion,
): { needs: GatedFeature[]; leftOut: Explanation[] } {
  const needs = gatedFields(kind, spec);
  const lacking = needs.filter((f) => supports(version, f) === 'no');
  const leftOut = lacking.map((f) => note(FIELD_LEFT_OUT, { field: f, since: ENVOY_GATEWAY_SINCE[f], version: describeVersion(version) }));
  return leftOut.length > 0 ? { needs: [], leftOut } : { needs, leftOut };
}

/** The highest of some minimum versions. */
function highest(versions: string[]): string | undefined {
  return versions.reduce<string | undefined>((max, v) => (max === undefined || (compareVersions(v, max) ?? 0) > 0 ? v : max), undefined);
}

/** The note stating the release a fix needs: the highest minimum of its gated fields, and the fields that need it. */
export function minimumNote(needs: readonly GatedFeature[], detected: string): Explanation | undefined {
  const minimum = highest(needs.map((f) => ENVOY_GATEWAY_SINCE[f]));
  if (minimum === undefined) return undefined;
  const fields = [...new Set(needs)].filter((f) => ENVOY_GATEWAY_SINCE[f] === minimum);
  return note(MINIMUM_VERSION, { minimum, fields: fields.join(', '), version: detected });
}
