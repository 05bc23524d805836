// One Envoy Gateway traffic policy object (gateway.envoyproxy.io/v1alpha1 BackendTrafficPolicy or
// ClientTrafficPolicy, envoyproxy/gateway api/v1alpha1) for the changes that land in it, computed against the live
// policy it patches or the one it would replace:
// - a new route-level BackendTrafficPolicy sets mergeType: StrategicMerge (Envoy Gateway >= 1.4, route targets only)
//   so the Gateway-level one's fields still apply; where the running release has no mergeType it copies them instead;
// - a new section-level ClientTrafficPolicy carries every field of the live Gateway-wide policy (no mergeType
//   exists for ClientTrafficPolicy), and says so;
// - `httpUpgrade` is merged by type into the live list, and `requestBuffer` (refused together with it from 1.8.0)
//   dropped from the object that would carry both;
// - durations match the CRD pattern `^([0-9]{1,5}(h|m|s|ms)){1,4}$`; a change setting a field the detected release
//   lacks is left out (versions.ts), a new policy for a release before 1.1 names its target in `targetRef`, and
//   every fix states the release it needs.

import { noteType } from '../model/catalogue-entry.ts';
import type { EvidenceValue, Explanation, LiveDiff } from '../model/finding.ts';
import { type KubeObject, overriddenConditions, policyTargets, routesInMessage } from '../model/kubernetes.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { deepMerge } from './changes.ts';
import { routeOfCluster } from './envoy-gateway-routes.ts';
import { gatewayPolicyNotInProxy, type PolicyChange, type PolicyTarget } from './envoy-gateway-targets.ts';
import { note } from './fix-kind.ts';
import { diffJson } from './json-diff.ts';
import { uniqueNotes } from './renderer.ts';
import { describeVersion, type DetectedVersion, ENVOY_GATEWAY_SINCE, type GatedFeature, gateFragment, minimumNote, supports } from './versions.ts';

/** A live Gateway-level policy sets the fields, yet the proxy lacks them: the policy is shown as it is. */
const NOT_IN_PROXY = noteType<{
  policy: EvidenceValue;
  fields: EvidenceValue;
  generation: EvidenceValue;
  route: EvidenceValue;
  overriddenFor?: EvidenceValue;
  cluster: EvidenceValue;
}>()(
  'gateway-policy-not-in-proxy',
  "{policy} already sets {fields} and is Accepted at its generation {generation}; no policy for {route} overrides it[? (its Overridden condition names only {overriddenFor})], so it applies there. Yet cluster {cluster} does not carry it: the proxy does not run what the controller accepted. This is {policy} as it is, and applying it changes nothing: find why the proxy lacks it (egctl config envoy-proxy cluster beside egctl x translate of these objects, the controller's logs) rather than add a route-level policy, which would hide it",
);
// What the fix removes, and where a field to remove may still be set.
const REQUEST_BUFFER_DROPPED = noteType<{ policy: EvidenceValue; since: EvidenceValue }>()(
  'request-buffer-dropped-for-upgrade',
  'requestBuffer is removed from {policy}: from Envoy Gateway {since} a policy with both requestBuffer and httpUpgrade is refused, and buffered routes lose their WebSocket upgrade (clients get 403 upgrade_failed)',
);
const FIELD_REMOVED = noteType<{ policy: EvidenceValue; field: EvidenceValue }>()(
  'policy-field-removed',
  '{field} is removed from {policy}: unset means unlimited (or, for requestBuffer, no buffering)',
);
const REMOVE_FIELD = noteType<{ field: EvidenceValue }>()(
  'remove-policy-field',
  'the limit to lift is {field}: remove it from the policy that sets it (unset means unlimited)',
);
const PARENT_REQUEST_BUFFER = noteType<{ policy: EvidenceValue }>()(
  'parent-policy-request-buffer',
  'the Gateway-level {policy} sets requestBuffer, which merges into this policy beside httpUpgrade: remove it there, or Envoy Gateway >= 1.8 refuses the merged policy',
);
// Which live object the policy is computed against, and what else may apply beside it.
const PATCHES_WINNING = noteType<{ policy: EvidenceValue }>()(
  'patches-winning-policy',
  'this is the live {policy} with the fields added and everything it already sets kept: it is the policy that wins for the route',
);
const CLIENT_CARRIES_GATEWAY = noteType<{ policy: EvidenceValue; gateway: EvidenceValue; listener: EvidenceValue }>()(
  'client-policy-carries-gateway-policy',
  'a ClientTrafficPolicy for listener {listener} replaces the Gateway-wide {policy} on that listener (ClientTrafficPolicy has no mergeType), so this one carries every field {policy} sets besides the fix; a later change to {policy} no longer reaches {listener}',
);
const BACKEND_CARRIES_GATEWAY = noteType<{ policy: EvidenceValue; version: EvidenceValue }>()(
  'backend-policy-carries-gateway-policy',
  'a route-level BackendTrafficPolicy replaces the Gateway-level {policy} for the route, and Envoy Gateway {version} has no mergeType (>= 1.4): this one carries every field {policy} sets besides the fix',
);
const MERGES_WITH_GATEWAY = noteType<{ route: EvidenceValue; policy: EvidenceValue }>()(
  'policy-merges-with-gateway-policy',
  'mergeType: StrategicMerge merges this policy into the Gateway-level {policy} for {route}, so its fields still apply (Envoy Gateway >= 1.4); a list this policy sets, such as httpUpgrade, replaces the one in {policy}, so its entries are repeated here',
);
/** Without the policies read, a route-level one may already target the route (a policy patched by name drops it). */
export const POLICY_MAY_BE_OVERRIDDEN = noteType<{ route: EvidenceValue }>()(
  'policy-may-be-overridden',
  'mergeType: StrategicMerge keeps the fields of a gateway-level policy (Envoy Gateway >= 1.4); if a route-level BackendTrafficPolicy already targets {route}, add these fields to it instead of applying a second one',
);
const CLIENT_MAY_BE_OVERRIDDEN = noteType<{ gateway: EvidenceValue; listener: EvidenceValue }>()(
  'client-policy-may-be-overridden',
  'a ClientTrafficPolicy for listener {listener} wins over one for the whole Gateway {gateway}: copy any fields the Gateway-wide policy sets into this one, or add these fields there if one already targets the listener',
);

/** The note types declared here. */
export const NOTE_TYPES = [
  NOT_IN_PROXY,
  REQUEST_BUFFER_DROPPED,
  FIELD_REMOVED,
  REMOVE_FIELD,
  PARENT_REQUEST_BUFFER,
  PATCHES_WINNING,
  CLIENT_CARRIES_GATEWAY,
  BACKEND_CARRIES_GATEWAY,
  MERGES_WITH_GATEWAY,
  POLICY_MAY_BE_OVERRIDDEN,
  CLIENT_MAY_BE_OVERRIDDEN,
];

/** Fields that name what a policy applies to: never copied from another policy. */
const TARGET_FIELDS = ['targetRef', 'targetRefs', 'targetSelectors'];

/** A policy's spec without the fields that name its targets. */
function withoutTargets(spec: Record<string, unknown> | undefined): Record<string, unknown> {
  const out = structuredClone(spec ?? {});
  for (const f of TARGET_FIELDS) delete out[f];
  return out;
}

/** Removes a nested field; true when it was there. */
function removeField(spec: Record<string, unknown>, path: string[]): boolean {
  let cur = spec;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    if (!next || typeof next !== 'object' || Array.isArray(next)) return false;
    cur = next as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  if (!(last in cur)) return false;
  delete cur[last];
  return true;
}

/** `httpUpgrade` entries merged by type: the live ones kept in their order, new types appended. */
function mergeUpgrades(live: unknown, added: unknown): unknown[] {
  const out = Array.isArray(live) ? structuredClone(live) : [];
  const typeOf = (u: unknown) => (u && typeof u === 'object' ? String((u as { type?: unknown }).type ?? '').toLowerCase() : '');
  for (const u of Array.isArray(added) ? added : []) if (!out.some((x) => typeOf(x) === typeOf(u))) out.push(u);
  return out;
}

const policyName = (p: KubeObject, fallback: string) => `${p.metadata.namespace ?? fallback}/${p.metadata.name}`;

/** What a group's changes set: the fix's own fields, the upgrade types, the gated fields, and notes on what was left out. */
interface FixFields {
  fields: Record<string, unknown>;
  upgrades: unknown[];
  needs: GatedFeature[];
  notes: Explanation[];
  /** Changes a live Gateway-level policy already sets while the proxy lacks them. */
  notInProxy: number;
}

/**
 * The fix's own fields, then the fields a policy-overridden root cause copies from the Gateway-level policy, so a
 * user's own values win over the fix's defaults.
 */
function fixFields(s: Snapshot, t: PolicyTarget, changes: PolicyChange[], version: DetectedVersion): FixFields {
  const out: FixFields = { fields: {}, upgrades: [], needs: [], notes: [], notInProxy: 0 };
  for (const c of changes.filter((x) => !x.piece.namedPolicy)) {
    // A live Gateway-level policy that already sets the field keeps its own value: the gap is in the proxy.
    const missing = t.existing ? gatewayPolicyNotInProxy(s, c, t.existing) : undefined;
    if (t.existing && missing && policyTargets(t.existing).some((x) => x.kind === 'Gateway')) {
      out.notInProxy++;
      const overriddenFor = overriddenConditions(t.existing).flatMap((m) => routesInMessage(m).map((r) => `${r.namespace}/${r.name}`));
      const cluster = c.target.kind === 'cluster' ? c.target.name : '';
      const route = routeOfCluster(s, cluster);
      const values = {
        policy: policyName(t.existing, t.namespace),
        fields: missing.fields,
        generation: missing.generation,
        route: route ? `${route.namespace}/${route.name}` : '',
      };
      out.notes.push(note(NOT_IN_PROXY, { ...values, overriddenFor: overriddenFor.length > 0 ? overriddenFor.join(', ') : null, cluster }));
      continue;
    }
    const { needs, leftOut } = gateFragment(t.kind, c.piece.spec, version);
    out.notes.push(...leftOut);
    if (leftOut.length > 0) continue;
    out.needs.push(...needs);
    if (!c.piece.spec) continue;
    const { httpUpgrade, ...rest } = c.piece.spec;
    if (httpUpgrade) out.upgrades = mergeUpgrades(out.upgrades, httpUpgrade);
    deepMerge(out.fields, rest);
  }
  for (const c of changes.filter((x) => x.piece.namedPolicy)) deepMerge(out.fields, c.piece.spec ?? {});
  return out;
}

/** Removes the fields the changes lift, and says what was removed and where a field this object lacks may still be set. */
function liftFields(t: PolicyTarget, changes: PolicyChange[], spec: Record<string, unknown>, upgrades: unknown[], notes: Explanation[]): void {
  const lifts = [...new Map(changes.flatMap((c) => (c.piece.lift ? [[c.piece.lift.field.join('.'), c.piece.lift] as const] : []))).values()];
  const removed = lifts.filter((l) => removeField(spec, l.field)).map((l) => l.field.join('.'));
  // Only where this fix adds an upgrade: a live policy holding both was accepted by its release and stays as it is.
  if (upgrades.length > 0 && removeField(spec, ['requestBuffer'])) {
    notes.push(
      note(REQUEST_BUFFER_DROPPED, {
        policy: `${t.namespace}/${t.name}`,
        since: ENVOY_GATEWAY_SINCE['BackendTrafficPolicy.spec.requestBuffer+httpUpgrade refused'],
      }),
    );
  }
  for (const field of removed) notes.push(note(FIELD_REMOVED, { policy: `${t.namespace}/${t.name}`, field }));
  // A limit to lift that this object never had may still be set by another policy: say where to look.
  for (const l of lifts) {
    const field = l.field.join('.');
    if (!removed.includes(field) && (l.remind === 'always' || !t.existing)) notes.push(note(REMOVE_FIELD, { field }));
  }
  if (t.parent && upgrades.length > 0 && t.parent.spec?.requestBuffer !== undefined) {
    notes.push(note(PARENT_REQUEST_BUFFER, { policy: policyName(t.parent, t.namespace) }));
  }
}

/** Which live object the policy is computed against, and why. */
function basisNote(s: Snapshot, t: PolicyTarget, changes: number, notInProxy: number, described: string, notes: Explanation[]): void {
  if (t.existing && notInProxy < changes) notes.unshift(note(PATCHES_WINNING, { policy: `${t.namespace}/${t.name}` }));
  else if (t.replaces && t.kind === 'ClientTrafficPolicy') {
    notes.unshift(note(CLIENT_CARRIES_GATEWAY, { policy: policyName(t.replaces, t.namespace), gateway: t.gateway ?? '', listener: t.listener ?? '' }));
  } else if (t.replaces) {
    notes.unshift(note(BACKEND_CARRIES_GATEWAY, { policy: policyName(t.replaces, t.namespace), version: described }));
  } else if (t.kind === 'BackendTrafficPolicy') {
    const route = t.route ? `${t.route.namespace}/${t.route.name}` : '';
    // With the policies read, none targets the route: only a Gateway-level one could apply beside this one.
    if (t.parent) notes.push(note(MERGES_WITH_GATEWAY, { route, policy: policyName(t.parent, t.namespace) }));
    else if (!s.kubernetes) notes.push(note(POLICY_MAY_BE_OVERRIDDEN, { route }));
  } else if (!s.kubernetes) {
    notes.push(note(CLIENT_MAY_BE_OVERRIDDEN, { gateway: t.gateway ?? '', listener: t.listener ?? '' }));
  }
}

/** A new policy's target: `targetRefs` (Envoy Gateway >= 1.1), or the `targetRef` every release reads where it is older. */
function newTargets(t: PolicyTarget, version: DetectedVersion, needs: GatedFeature[]): Record<string, unknown> {
  // A policy patched by name keeps the targets it has.
  if (t.named) return {};
  const feature: GatedFeature = `${t.kind}.spec.targetRefs`;
  if (supports(version, feature) === 'no') return { targetRef: t.targetRef };
  needs.push(feature);
  return { targetRefs: [t.targetRef] };
}

/** The policy object for a group of changes, with the notes that say what it keeps, drops and needs. */
export function policyObject(
  s: Snapshot,
  t: PolicyTarget,
  changes: PolicyChange[],
  version: DetectedVersion,
): { object: Record<string, unknown>; notes: Explanation[]; liveDiff?: LiveDiff } {
  const described = describeVersion(version);
  const { fields, upgrades, needs, notes, notInProxy } = fixFields(s, t, changes, version);

  // What the object starts from: the live policy, or (new) the fields of the live one it would replace.
  const base = t.existing ? withoutTargets(t.existing.spec) : t.replaces ? withoutTargets(t.replaces.spec) : {};
  const spec: Record<string, unknown> = t.existing
    ? Object.fromEntries(TARGET_FIELDS.filter((f) => t.existing?.spec?.[f] !== undefined).map((f) => [f, t.existing?.spec?.[f]]))
    : newTargets(t, version, needs);
  if (!t.existing && !t.named && t.kind === 'BackendTrafficPolicy' && !t.replaces && supports(version, 'BackendTrafficPolicy.spec.mergeType') !== 'no') {
    spec.mergeType = 'StrategicMerge';
    needs.push('BackendTrafficPolicy.spec.mergeType');
  }
  Object.assign(spec, base);
  deepMerge(spec, fields);
  if (upgrades.length > 0) {
    // A merged Gateway-level policy's list would be replaced by this one's: its upgrade types are kept here too.
    const inherited = t.parent ? mergeUpgrades(spec.httpUpgrade, t.parent.spec?.httpUpgrade) : spec.httpUpgrade;
    spec.httpUpgrade = mergeUpgrades(inherited, upgrades);
  }
  liftFields(t, changes, spec, upgrades, notes);
  basisNote(s, t, changes.length, notInProxy, described, notes);
  notes.push(...uniqueNotes(changes.flatMap((c) => c.piece.notes ?? [])));

  const minimum = minimumNote(needs, described);
  if (minimum) notes.push(minimum);

  const metadata: Record<string, unknown> = { name: t.name, namespace: t.namespace };
  if (t.existing?.metadata.labels) metadata.labels = t.existing.metadata.labels;
  const apiVersion = t.existing?.apiVersion ?? 'gateway.envoyproxy.io/v1alpha1';
  const live = t.existing ?? t.replaces;
  const liveDiff: LiveDiff | undefined = live ? { object: `${t.kind} ${policyName(live, t.namespace)}`, changes: diffJson(live.spec ?? {}, spec) } : undefined;
  return { object: { apiVersion, kind: t.kind, metadata, spec }, notes, ...(liveDiff ? { liveDiff } : {}) };
}
