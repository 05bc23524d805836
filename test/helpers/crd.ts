// Validation of rendered Envoy Gateway and Istio objects against the published schemas:
// @kubernetes-models/envoy-gateway (generated from envoyproxy/gateway api/v1alpha1 as of v1.7, published after Envoy
// Gateway v1.9.0; the v1.8 fields it lacks are checked against the v1.8.0 CRDs below), @kubernetes-models/gateway-api (Gateway API CRDs) and @kubernetes-models/istio 3.0.1 (generated from
// Istio 1.29.2's crd-all.gen.yaml). Those validators check types, patterns and enums but let unknown fields pass, as
// the API server's pruning would silently drop them; so every field a rendered object sets is also probed: given a
// value of the wrong type, validation must fail at that field, which proves the schema declares it.

import { BackendTrafficPolicy, ClientTrafficPolicy, EnvoyPatchPolicy, EnvoyProxy } from '@kubernetes-models/envoy-gateway/gateway.envoyproxy.io/v1alpha1';
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { DestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1/DestinationRule';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1/VirtualService';
import { EnvoyFilter } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/EnvoyFilter';
import { ObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
import { parse } from 'yaml';
import type { RenderedFix } from '../../src/model/finding.ts';

type Validate = (object: Record<string, unknown>) => void;
type Model = new (data: never) => { validate(): void };

const model =
  (M: Model): Validate =>
  (object) =>
    new M(object as never).validate();

/** Validators by apiVersion and kind. */
export const VALIDATORS: Record<string, Validate> = {
  'gateway.envoyproxy.io/v1alpha1 BackendTrafficPolicy': model(BackendTrafficPolicy as unknown as Model),
  'gateway.envoyproxy.io/v1alpha1 ClientTrafficPolicy': model(ClientTrafficPolicy as unknown as Model),
  'gateway.envoyproxy.io/v1alpha1 EnvoyPatchPolicy': model(EnvoyPatchPolicy as unknown as Model),
  'gateway.envoyproxy.io/v1alpha1 EnvoyProxy': model(EnvoyProxy as unknown as Model),
  'gateway.networking.k8s.io/v1 HTTPRoute': model(HTTPRoute as unknown as Model),
  'networking.istio.io/v1 DestinationRule': model(DestinationRule as unknown as Model),
  'networking.istio.io/v1 VirtualService': model(VirtualService as unknown as Model),
  'networking.istio.io/v1alpha3 EnvoyFilter': model(EnvoyFilter as unknown as Model),
  // A workload patch (the Istio stats-inclusion annotation, applied with kubectl patch): it may set only its pod
  // template's metadata, checked against the published ObjectMeta schema.
  'apps/v1 Deployment': (object) => {
    const spec = object.spec as { template?: { metadata?: unknown } } | null;
    const only = (o: unknown, key: string) => typeof o === 'object' && o !== null && Object.keys(o).join() === key;
    if (!only(spec, 'template') || !only(spec?.template, 'metadata')) throw new Error('spec: only template.metadata');
    if (typeof spec?.template?.metadata !== 'object' || spec.template.metadata === null) throw new Error('spec.template.metadata: an object');
    new ObjectMeta(spec?.template?.metadata as never).validate();
  },
};

/** Paths whose content the schemas declare free-form (Envoy's own config inside a patch). */
const FREE_FORM = [/^spec\.configPatches\.\d+\.patch\.value\./, /^spec\.jsonPatches\.\d+\.operation\.value$/, /^spec\.bootstrap\.jsonPatches\.\d+\.value$/];

/** Every path below `spec` of an object, objects and arrays included. */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [];
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
}

/** A deep copy with the value at `path` replaced by one of the wrong type. */
function poisoned(object: Record<string, unknown>, path: string[]): Record<string, unknown> {
  const copy = structuredClone(object);
  let cur = copy as Record<string, unknown>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
  const last = path[path.length - 1] as string;
  cur[last] = typeof cur[last] === 'boolean' ? 'not-a-boolean' : true;
  return copy;
}

/**
 * Fields the Envoy Gateway v1.8.0 CRDs declare that the schema models lack (@kubernetes-models/envoy-gateway 2.0.0 is
 * generated from the v1.7 API: its EnvoyProxySpec has no mergeType, dynamicModules or geoIP, its HTTPTimeout no
 * streamIdleTimeout). Each is checked here against its CRD constraint (envoyproxy/gateway v1.8.0
 * charts/gateway-crds-helm/templates/generated/gateway.envoyproxy.io_{envoyproxies,backendtrafficpolicies}.yaml), and
 * taken out before the models validate the rest.
 */
const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const NEWER_THAN_MODELS: Record<string, Array<{ path: string[]; valid: (v: unknown) => boolean }>> = {
  'gateway.envoyproxy.io/v1alpha1 EnvoyProxy': [{ path: ['spec', 'mergeType'], valid: (v) => v === 'Replace' || v === 'StrategicMerge' || v === 'JSONMerge' }],
  'gateway.envoyproxy.io/v1alpha1 BackendTrafficPolicy': [
    { path: ['spec', 'timeout', 'http', 'streamIdleTimeout'], valid: (v) => typeof v === 'string' && DURATION.test(v) },
  ],
};

/** Checks and removes the fields the models lack; the problems found. */
function takeNewerFields(object: Record<string, unknown>, target: string): string[] {
  const out: string[] = [];
  for (const { path, valid } of NEWER_THAN_MODELS[`${String(object.apiVersion)} ${String(object.kind)}`] ?? []) {
    let parent = object as Record<string, unknown> | undefined;
    for (const k of path.slice(0, -1)) parent = parent?.[k] as Record<string, unknown> | undefined;
    const last = path[path.length - 1] as string;
    if (parent === undefined || !(last in parent)) continue;
    if (!valid(parent[last])) out.push(`${target}: ${path.join('.')} ${JSON.stringify(parent[last])} is not valid`);
    delete parent[last];
  }
  return out;
}

/**
 * Required fields a merge patch of an existing object leaves as they are: validated with a stand-in, so the patch
 * is checked as merged into some valid object.
 */
const KEPT_BY_PATCH: Record<string, Record<string, unknown>> = {
  'networking.istio.io/v1 DestinationRule': { host: 'stand-in.example' },
  'gateway.envoyproxy.io/v1alpha1 BackendTrafficPolicy': { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'stand-in' }] },
};

/** The apiVersion of the kinds whose merge patches name their object only in the fix's target (`BackendTrafficPolicy home/x`). */
const PATCHED_KINDS: Record<string, string> = { BackendTrafficPolicy: 'gateway.envoyproxy.io/v1alpha1' };

/** Problems with one rendered object: schema errors, and fields the schema does not declare. */
export function problems(fix: RenderedFix): string[] {
  const object = parse(fix.text) as Record<string, unknown>;
  const targetKind = fix.target.split(' ')[0] as string;
  if (fix.apply === 'kubectl-patch' && object.kind === undefined && PATCHED_KINDS[targetKind])
    Object.assign(object, { apiVersion: PATCHED_KINDS[targetKind], kind: targetKind });
  const kept = fix.apply === 'kubectl-patch' ? KEPT_BY_PATCH[`${String(object.apiVersion)} ${String(object.kind)}`] : undefined;
  if (kept) object.spec = { ...kept, ...(object.spec as Record<string, unknown>) };
  const validate = VALIDATORS[`${String(object.apiVersion)} ${String(object.kind)}`];
  if (!validate) return [`no schema for ${String(object.apiVersion)} ${String(object.kind)}`];
  const out = takeNewerFields(object, fix.target);
  try {
    validate(object);
  } catch (err) {
    return [...out, `${fix.target}: ${(err as Error).message}`];
  }
  for (const path of paths(object.spec, ['spec'])) {
    const dotted = path.join('.');
    if (FREE_FORM.some((re) => re.test(dotted))) continue;
    try {
      validate(poisoned(object, path));
      out.push(`${fix.target}: ${dotted} is not declared by the schema`);
    } catch {
      // The schema checked the field: it is known.
    }
  }
  return out;
}
