// Envoy Gateway policy precedence: the most specific BackendTrafficPolicy wins outright (route rule > route >
// listener > Gateway). A route-level policy without `mergeType` replaces the gateway-level one completely, and
// the gateway-level policy then carries an `Overridden` condition (envoyproxy/gateway
// internal/gatewayapi/backendtrafficpolicy.go; site/content/en/latest/concepts/gateway_api_extensions/
// backend-traffic-policy.md). Fields the gateway policy sets and the winning policy lacks are not in effect.

import { findingType } from '../model/catalogue-entry.ts';
import type { Finding } from '../model/finding.ts';
import { type KubeObject, objectKey, overriddenConditions, policyTargets, routeBackendPolicies, routesInMessage } from '../model/kubernetes.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { defineAnalyzer, finding } from './analyzer.ts';

/** Evidence of a gateway-level policy replaced for a route: the two policies, and the fields lost. */
interface GatewayPolicyOverridden {
  gatewayPolicy: string;
  winningPolicy: string;
  lostFields: string;
  lostFieldCount: number;
  markedOverridden: boolean;
}

/** A route-level policy replaces a gateway-level one, and fields the gateway-level one sets are lost. */
const GATEWAY_POLICY_OVERRIDDEN = findingType<GatewayPolicyOverridden>()(
  'gateway-policy-overridden',
  'A gateway-level policy is replaced for a route',
  '{winningPolicy} replaces {gatewayPolicy} for the route, so its {lostFields} are not in effect',
);

export const meta = defineAnalyzer({
  id: 'policy-overrides',
  title: 'Gateway-level policies replaced by route-level ones',
  reads: ['kubernetes'],
  stats: {},
  findings: [GATEWAY_POLICY_OVERRIDDEN],
});

const NOT_SETTINGS = new Set(['targetRef', 'targetRefs', 'targetSelectors', 'mergeType']);

/** Spec fields that configure traffic (not targeting). */
function settingFields(policy: KubeObject): string[] {
  return Object.keys(policy.spec ?? {}).filter((k) => !NOT_SETTINGS.has(k));
}

/** Routes attached to a Gateway through their parentRefs. */
function attachedRoutes(routes: KubeObject[], gatewayNamespace: string, gateway: string): KubeObject[] {
  return routes.filter((r) =>
    ((r.spec?.parentRefs ?? []) as Array<{ name?: string; namespace?: string; kind?: string }>).some(
      (p) => p.name === gateway && (p.namespace ?? r.metadata.namespace) === gatewayNamespace && (p.kind ?? 'Gateway') === 'Gateway',
    ),
  );
}

export function analyze(s: Snapshot): Finding[] {
  const k = s.kubernetes;
  if (!k) return [];
  const findings: Finding[] = [];
  for (const policy of k.backendTrafficPolicies) {
    const gatewayTargets = policyTargets(policy).filter((t) => t.kind === 'Gateway');
    const conditions = overriddenConditions(policy);
    if (gatewayTargets.length === 0) continue;
    const fields = settingFields(policy);
    const routes = new Map<string, { namespace: string; name: string }>();
    for (const t of gatewayTargets) {
      for (const r of attachedRoutes(k.httpRoutes, policy.metadata.namespace ?? '', t.name)) {
        routes.set(objectKey(r), { namespace: r.metadata.namespace ?? '', name: r.metadata.name });
      }
    }
    for (const m of conditions) for (const r of routesInMessage(m)) routes.set(`${r.namespace}/${r.name}`, r);
    for (const route of routes.values()) {
      for (const winner of routeBackendPolicies(k, 'HTTPRoute', route.namespace, route.name)) {
        if (winner.spec?.mergeType) continue;
        const winnerFields = new Set(settingFields(winner));
        const lost = fields.filter((f) => !winnerFields.has(f));
        if (lost.length === 0) continue;
        findings.push(
          finding(
            s,
            GATEWAY_POLICY_OVERRIDDEN,
            'warning',
            { kind: 'route', name: `${route.namespace}/${route.name}` },
            {
              gatewayPolicy: objectKey(policy),
              winningPolicy: objectKey(winner),
              lostFields: lost.join(','),
              lostFieldCount: lost.length,
              markedOverridden: conditions.length > 0,
            },
          ),
        );
      }
    }
  }
  return findings;
}
