// policy-fields: fields copied into a live Envoy Gateway BackendTrafficPolicy by name (gateway.envoyproxy.io/v1alpha1
// BackendTrafficPolicy `spec`), such as the Gateway-level policy's fields a route-level policy overrides; the
// policy's own fields win over the fix's in the object rendered. Only Envoy Gateway has such an object.

import type { FixKind } from '../fix-kind.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** Fields set in a live policy, named by kind, namespace and name. */
    'policy-fields': { policy: { kind: string; namespace: string; name: string }; fields: Record<string, unknown> };
  }
}

/** Fields of a named Envoy Gateway policy. */
export const fixKind: FixKind<'policy-fields'> = {
  kind: 'policy-fields',
  target: () => ({ kind: 'policy' }),
  envoy: { notRendered: 'the fields of an Envoy Gateway policy: plain Envoy has no such object' },
  envoyGateway: (_s, c) => ({ lands: 'traffic-policy', spec: c.fields, namedPolicy: { namespace: c.policy.namespace, name: c.policy.name } }),
  istio: { notRendered: 'the fields of an Envoy Gateway policy: Istio has no such object' },
};
