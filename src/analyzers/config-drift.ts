// Live policies against the manifests in Git (`--manifests DIR`), field by field. A field that differs means the
// cluster does not run what the repository says: a hand edit, a failed sync, or a manifest that never applied.
// Kinds: Gateway API Gateway and HTTPRoute (sigs.k8s.io/gateway-api apis/v1), Envoy Gateway BackendTrafficPolicy,
// ClientTrafficPolicy and EnvoyProxy (envoyproxy/gateway api/v1alpha1). Only `spec` is compared: metadata and
// status are written by the cluster.

import { findingType } from '../model/catalogue-entry.ts';
import type { EvidenceValue, Finding } from '../model/finding.ts';
import type { KubeObject, KubernetesObjects, ObjectLists } from '../model/kubernetes.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { defineAnalyzer, finding } from './analyzer.ts';

/** Evidence of a live object that differs from its manifest: the fields, and the first 20 values on each side. */
type ManifestDrift = { changedFields: string; changedCount: number; manifests: string } & Record<`manifest:${string}` | `live:${string}`, EvidenceValue>;

/** A live policy differs from its manifest, field by field. */
const MANIFEST_DRIFT = findingType<ManifestDrift>()(
  'manifest-drift',
  'A live object differs from its manifest',
  '{changedCount} {changedCount|field differs|fields differ} from {manifests}: {changedFields}',
);

/** A manifest whose object is not in the cluster. */
const MANIFEST_NOT_APPLIED = findingType<{ manifests: string }>()(
  'manifest-not-applied',
  'A manifest has no live object',
  'declared in {manifests} but not found in the cluster',
);

export const meta = defineAnalyzer({
  id: 'config-drift',
  title: 'Live policies that differ from the manifests',
  reads: ['kubernetes'],
  stats: {},
  findings: [MANIFEST_DRIFT, MANIFEST_NOT_APPLIED],
});

const LIVE_LISTS: Record<string, keyof ObjectLists> = {
  Gateway: 'gateways',
  HTTPRoute: 'httpRoutes',
  BackendTrafficPolicy: 'backendTrafficPolicies',
  ClientTrafficPolicy: 'clientTrafficPolicies',
  EnvoyProxy: 'envoyProxies',
};

/** Leaf paths of a JSON value with their values (`spec.tcpKeepalive.idleTime` -> `60s`). */
function leaves(value: unknown, prefix: string, out = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) out.set(prefix, {});
    for (const [k, v] of entries) leaves(v, `${prefix}.${k}`, out);
  } else out.set(prefix, Array.isArray(value) ? JSON.stringify(value) : value);
  return out;
}

function scalar(v: unknown): EvidenceValue {
  if (v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null) return v;
  return JSON.stringify(v);
}

function findLive(k: KubernetesObjects, m: KubeObject): KubeObject | undefined {
  const list = k[LIVE_LISTS[m.kind] as keyof ObjectLists];
  const named = list.filter((o) => o.metadata.name === m.metadata.name);
  if (m.metadata.namespace) return named.find((o) => o.metadata.namespace === m.metadata.namespace);
  return named.length === 1 ? named[0] : undefined;
}

export function analyze(s: Snapshot): Finding[] {
  if (!s.kubernetes || !s.manifests) return [];
  const findings: Finding[] = [];
  for (const m of s.manifests.objects) {
    const name = `${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}`;
    const live = findLive(s.kubernetes, m);
    if (!live) {
      const plural = `${m.kind.toLowerCase().replace(/y$/, 'ie')}s`;
      if (s.kubernetes.unavailable.some((u) => u.includes(` ${plural}.`))) continue;
      findings.push(finding(s, MANIFEST_NOT_APPLIED, 'warning', { kind: 'policy', name }, { manifests: s.manifests.source }));
      continue;
    }
    const declared = leaves(m.spec ?? {}, 'spec');
    const running = leaves(live.spec ?? {}, 'spec');
    const changed = [...new Set([...declared.keys(), ...running.keys()])]
      .filter((p) => JSON.stringify(declared.get(p)) !== JSON.stringify(running.get(p)))
      .sort();
    if (changed.length === 0) continue;
    const evidence: ManifestDrift = { changedFields: changed.join(','), changedCount: changed.length, manifests: s.manifests.source };
    for (const p of changed.slice(0, 20)) {
      evidence[`manifest:${p}`] = scalar(declared.get(p));
      evidence[`live:${p}`] = scalar(running.get(p));
    }
    findings.push(finding(s, MANIFEST_DRIFT, 'warning', { kind: 'policy', name }, evidence));
  }
  return findings;
}
