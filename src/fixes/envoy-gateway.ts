// Fixes as Envoy Gateway objects (gateway.envoyproxy.io/v1alpha1, envoyproxy/gateway api/v1alpha1), from each
// change's Envoy Gateway piece (src/fixes/kinds/), one object per target carrying every change that lands in it:
// - traffic policies: a BackendTrafficPolicy for the xRoute behind a cluster or route, a ClientTrafficPolicy for a
//   Gateway listener (which policy: envoy-gateway-targets.ts; the object: envoy-gateway-policy.ts);
// - an HTTPRoute rule's own field, which wins over a policy's (`timeouts.request` over `requestTimeout`): the live
//   HTTPRoute is changed then (gateway.networking.k8s.io/v1 HTTPRoute);
// - per Gateway, an EnvoyPatchPolicy of JSON patches for what no policy can express, and the EnvoyProxy that
//   configures its proxies (envoy-proxy-object.ts), which also holds the stats inclusion list (stats-inclusion.ts).

import { noteType } from '../model/catalogue-entry.ts';
import type { EvidenceValue, FixChange, RenderedFix } from '../model/finding.ts';
import type { Snapshot, SourceObject } from '../model/snapshot.ts';
import { deepMerge } from './changes.ts';
import { POLICY_MAY_BE_OVERRIDDEN, policyObject } from './envoy-gateway-policy.ts';
import { backendTarget, clientTarget, type PolicyChange, type PolicyTarget } from './envoy-gateway-targets.ts';
import { type EnvoyPatchPolicyPiece, type EnvoyProxyPiece, type HttpRouteRulePiece, note } from './fix-kind.ts';
import { envoyProxyObjects } from './envoy-proxy-object.ts';
import { type EnvoyProxyPatch, gatewayListenerOf, objectName } from './gateway-objects.ts';
import { diffJson } from './json-diff.ts';
import { changeTarget, pieceOf } from './kinds/index.ts';
import { type FixBody, lazyFix } from './lazy-fix.ts';
import { type FixRenderer, groupBy, type RenderedChangeSet, uniqueNotes } from './renderer.ts';
import { envoyGatewayStatsMatches, type StatsChange } from './stats-inclusion-list.ts';
import { type DetectedVersion, describeVersion, envoyGatewayVersion, type GatedFeature, gateFragment, minimumNote } from './versions.ts';
import { yamlText } from './yaml-text.ts';

/** EnvoyPatchPolicy is off unless the controller enables it (EnvoyGateway `extensionApis.enableEnvoyPatchPolicy`). */
const PATCH_POLICY_ENABLE = noteType<Record<never, never>>()(
  'envoy-patch-policy-enable',
  'EnvoyPatchPolicy is applied only when the EnvoyGateway configuration sets extensionApis.enableEnvoyPatchPolicy: true',
);
/** A policy's `requestTimeout: 0s` also ends the route's idle timeout. */
const ZERO_DISABLES_IDLE = noteType<Record<never, never>>()(
  'request-timeout-zero-disables-idle',
  "requestTimeout: 0s also sets the route's idle_timeout to 0 in Envoy Gateway: the stream idle timeout no longer ends quiet streams on the route, so a dead peer's WebSocket stays open until TCP keepalive or the connection idle timeout finds it",
);
/** A policy known by name only, patched with the fields. */
const PATCHES_NAMED_POLICY = noteType<{ policy: EvidenceValue; route: EvidenceValue }>()(
  'patches-named-policy',
  "the proxy's configuration names {policy} as the BackendTrafficPolicy of {route} and no other route: this merge patch sets only these fields in it and keeps everything else it sets (a second policy on the same route would be ignored)",
);

/** The note types declared here. */
export const NOTE_TYPES = [PATCH_POLICY_ENABLE, ZERO_DISABLES_IDLE, PATCHES_NAMED_POLICY];

/** A change with its piece of one kind of object. */
interface Landed<P> {
  change: FixChange;
  piece: P;
}

/** The changes of a snapshot by the kind of object they land in. */
interface Sorted {
  policies: PolicyChange[];
  rules: Array<Landed<HttpRouteRulePiece>>;
  proxies: Array<Landed<EnvoyPatchPolicyPiece | EnvoyProxyPiece>>;
  stats: StatsChange[];
}

function sortByObject(s: Snapshot, changes: readonly FixChange[]): Sorted {
  const out: Sorted = { policies: [], rules: [], proxies: [], stats: [] };
  for (const change of changes) {
    const piece = pieceOf('envoyGateway', s, change);
    if (piece?.lands === 'traffic-policy') out.policies.push({ change, target: changeTarget(change), piece });
    else if (piece?.lands === 'httproute-rule') out.rules.push({ change, piece });
    else if (piece?.lands === 'envoy-patch-policy' || piece?.lands === 'envoy-proxy') out.proxies.push({ change, piece });
    else if (piece?.lands === 'stats-inclusion') out.stats.push({ change, prefixes: piece.prefixes });
  }
  return out;
}

/** Each live xRoute with its rules' changes, rendered whole (status dropped) when a report reads it. */
function httpRouteObjects(s: Snapshot, rules: Array<Landed<HttpRouteRulePiece>>): RenderedChangeSet[] {
  const byRoute = new Map<string, { route: SourceObject; changes: FixChange[] }>();
  for (const e of rules) {
    const key = `${e.piece.route.namespace}/${e.piece.route.name}`;
    const entry = byRoute.get(key) ?? { route: e.piece.route, changes: [] };
    entry.changes.push(e.change);
    byRoute.set(key, entry);
  }
  return [...byRoute.values()].map(({ route, changes }) => {
    const head = { flavor: 'envoy-gateway', target: `${route.kind} ${route.namespace}/${route.name}`, apply: 'kubectl-apply', format: 'yaml' } as const;
    return { fix: lazyFix(head, httpRouteBody, s, changes, undefined), changes };
  });
}

/** A live xRoute with its rules' changes merged in, and what they change; the changes' pieces are computed again. */
function httpRouteBody(s: Snapshot, changes: readonly FixChange[]): FixBody {
  const edits = sortByObject(s, changes).rules;
  const { live, route } = (edits[0] as Landed<HttpRouteRulePiece>).piece;
  const spec = structuredClone(live.spec ?? {});
  const specRules = spec.rules as Array<Record<string, unknown>>;
  for (const e of edits) deepMerge(specRules[e.piece.rule] as Record<string, unknown>, e.piece.fields);
  const metadata: Record<string, unknown> = { name: live.metadata.name, namespace: live.metadata.namespace ?? route.namespace };
  if (live.metadata.labels) metadata.labels = live.metadata.labels;
  return {
    text: yamlText({ apiVersion: live.apiVersion, kind: live.kind, metadata, spec }),
    notes: edits.flatMap((e) => e.piece.notes),
    liveDiff: { object: `${route.kind} ${route.namespace}/${route.name}`, changes: diffJson(live.spec ?? {}, spec) },
  };
}

/** The JSON patches the release can apply (a `jsonPath` needs 1.2), with the notes on those it cannot and the release they need. */
function gatedPatches(
  patches: Array<Landed<EnvoyPatchPolicyPiece>>,
  version: DetectedVersion,
): { kept: Array<Landed<EnvoyPatchPolicyPiece>>; notes: RenderedFix['notes'] } {
  const needs: GatedFeature[] = [];
  const notes: RenderedFix['notes'] = [];
  const kept = patches.filter((p) => {
    const gated = gateFragment('EnvoyPatchPolicy', { jsonPatches: [p.piece.jsonPatch] }, version);
    notes.push(...gated.leftOut);
    needs.push(...gated.needs);
    return gated.leftOut.length === 0;
  });
  const minimum = minimumNote(needs, describeVersion(version));
  return { kept, notes: [...uniqueNotes(notes), ...(minimum ? [minimum] : [])] };
}

/** An EnvoyPatchPolicy for a Gateway holding the JSON patches of one purpose (EnvoyPatchPolicy `spec.jsonPatches`). */
function envoyPatchPolicy(gateway: SourceObject, purpose: string, all: Array<Landed<EnvoyPatchPolicyPiece>>, version: DetectedVersion): RenderedChangeSet[] {
  const { kept: patches, notes: versionNotes } = gatedPatches(all, version);
  if (patches.length === 0) return [];
  const name = objectName(gateway.name, purpose);
  const jsonPatches = [...new Map(patches.map((p) => [JSON.stringify(p.piece.jsonPatch), p.piece.jsonPatch])).values()];
  const policy = {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'EnvoyPatchPolicy',
    metadata: { name, namespace: gateway.namespace },
    spec: { targetRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gateway.name }, type: 'JSONPatch', jsonPatches },
  };
  const notes = [note(PATCH_POLICY_ENABLE, {}), ...uniqueNotes(patches.flatMap((p) => p.piece.notes)), ...versionNotes];
  const fix: RenderedFix = {
    flavor: 'envoy-gateway',
    target: `EnvoyPatchPolicy ${gateway.namespace}/${name}`,
    apply: 'kubectl-apply',
    format: 'yaml',
    text: yamlText(policy),
    notes,
  };
  return [{ fix, changes: all.map((p) => p.change) }];
}

/** Per Gateway, its EnvoyPatchPolicies, then one EnvoyProxy carrying every EnvoyProxy field and the stats list. */
function proxyObjects(s: Snapshot, proxies: Sorted['proxies'], stats: StatsChange[], version: DetectedVersion): RenderedChangeSet[] {
  const out: RenderedChangeSet[] = [];
  const patches: EnvoyProxyPatch[] = [];
  const byGateway = new Map<string, { gateway: SourceObject; patchPolicy: Array<Landed<EnvoyPatchPolicyPiece>>; proxy: Array<Landed<EnvoyProxyPiece>> }>();
  for (const p of proxies) {
    const gateway = gatewayListenerOf(s, p.piece.listener);
    if (!gateway) continue;
    const key = `${gateway.namespace}/${gateway.name}`;
    const entry = byGateway.get(key) ?? { gateway, patchPolicy: [], proxy: [] };
    if (p.piece.lands === 'envoy-patch-policy') entry.patchPolicy.push({ change: p.change, piece: p.piece });
    else entry.proxy.push({ change: p.change, piece: p.piece });
    byGateway.set(key, entry);
  }
  for (const { gateway, patchPolicy, proxy } of byGateway.values()) {
    for (const [purpose, group] of groupBy(patchPolicy, (p) => p.piece.purpose)) out.push(...envoyPatchPolicy(gateway, purpose as string, group, version));
    if (proxy.length === 0) continue;
    const spec: Record<string, unknown> = {};
    for (const p of proxy) deepMerge(spec, p.piece.spec);
    patches.push({ gateway, spec, notes: uniqueNotes(proxy.flatMap((p) => p.piece.notes)), changes: proxy.map((p) => p.change) });
  }
  const statsPatch = envoyGatewayStatsMatches(s, stats);
  if (statsPatch) patches.push(statsPatch);
  return [...out, ...envoyProxyObjects(s, patches, version)];
}

/** A traffic policy's text and notes, and what it changes against the live policy; its changes' pieces are computed again. */
function policyBody(s: Snapshot, changes: readonly FixChange[], { t, version }: { t: PolicyTarget; version: DetectedVersion }): FixBody {
  const { object, notes, liveDiff } = policyObject(s, t, sortByObject(s, changes).policies, version);
  // The policy's own streamIdleTimeout is the route's idle timeout whatever the request timeout (internal/xds/translator/route.go idleTimeout).
  const spec = object.spec as { timeout?: { http?: { requestTimeout?: unknown; streamIdleTimeout?: unknown } } };
  if (spec.timeout?.http?.requestTimeout === '0s' && spec.timeout.http.streamIdleTimeout === undefined) notes.push(note(ZERO_DISABLES_IDLE, {}));
  // A policy known by name only: a JSON merge patch of the fields, which keeps the rest of the live object.
  const { targetRefs: _targets, ...patch } = object.spec as Record<string, unknown>;
  if (t.named) notes.unshift(note(PATCHES_NAMED_POLICY, { policy: `${t.namespace}/${t.name}`, route: t.route ? `${t.route.namespace}/${t.route.name}` : '' }));
  return {
    text: yamlText(t.named ? { spec: patch } : object),
    notes: t.named ? notes.filter((n) => n.code !== POLICY_MAY_BE_OVERRIDDEN.id) : notes,
    ...(liveDiff ? { liveDiff } : {}),
  };
}

/** Renders changes as Envoy Gateway objects. */
export const envoyGatewayRenderer: FixRenderer = {
  flavor: 'envoy-gateway',
  render(s: Snapshot, changes: FixChange[]): RenderedChangeSet[] {
    const version = envoyGatewayVersion(s);
    const sorted = sortByObject(s, changes);
    const targets = new Map<string, { target: PolicyTarget; changes: PolicyChange[] }>();
    for (const c of sorted.policies) {
      const t = backendTarget(s, c, version) ?? clientTarget(s, c);
      if (!t) continue;
      const entry = targets.get(t.key) ?? { target: t, changes: [] };
      entry.changes.push(c);
      targets.set(t.key, entry);
    }
    // A new listener-level ClientTrafficPolicy that sets nothing would still replace a Gateway-wide one: none is rendered.
    const rendered = [...targets.values()].filter(
      ({ target: t, changes: group }) => t.existing || t.kind === 'BackendTrafficPolicy' || group.some((c) => c.piece.spec !== undefined),
    );
    // The policy objects are rendered when a report reads them (lazy-fix.ts).
    const policies = rendered.map(({ target: t, changes: group }) => {
      const head = {
        flavor: 'envoy-gateway',
        target: `${t.kind} ${t.namespace}/${t.name}`,
        apply: t.named ? 'kubectl-patch' : 'kubectl-apply',
        format: 'yaml',
      } as const;
      const groupChanges = group.map((c) => c.change);
      return { fix: lazyFix(head, policyBody, s, groupChanges, { t, version }), changes: groupChanges };
    });
    return [...policies, ...httpRouteObjects(s, sorted.rules), ...proxyObjects(s, sorted.proxies, sorted.stats, version)];
  },
};
