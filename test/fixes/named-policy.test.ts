// Without the Kubernetes objects, the xDS metadata still names the BackendTrafficPolicy on a route (Envoy Gateway >=
// 1.7). A new policy on the same route would be ignored (the lab replayed it through egctl: the breakers stayed at
// their old limits), so the fix is a JSON merge patch of the named policy that keeps the rest of it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { envoyGatewayRenderer } from '../../src/fixes/envoy-gateway.ts';
import type { FixChange } from '../../src/model/finding.ts';
import { fixture, gatewayCluster, gatewayListener } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const OTHER = 'httproute/home/other/rule/0';
const L = 'home/eg/https';
const BREAKERS: FixChange = { kind: 'cluster-circuit-breakers', cluster: C, maxConnections: 8, maxPendingRequests: 4, maxRequests: 8 };

const meta = (route: string, policies: string[]) => ({
  filter_metadata: {
    'envoy-gateway': {
      resources: [{ kind: 'HTTPRoute', namespace: 'home', name: route }],
      ...(policies.length > 0 ? { policies: policies.map((name) => ({ kind: 'BackendTrafficPolicy', namespace: 'home', name })) } : {}),
    },
  },
});

/** A Gateway with routes `app` and `other`, each naming the given policies in its route metadata. */
function snapshot(appPolicies: string[], otherPolicies: string[]) {
  return fixture({
    bootstrap: { node: { cluster: 'home/eg' } },
    clusters: [gatewayCluster(C), gatewayCluster(OTHER)],
    listeners: [gatewayListener({ bufferLimit: 32768 })],
    routeConfigs: [
      {
        name: L,
        virtual_hosts: [
          {
            name: `${L}/vh`,
            domains: ['*'],
            routes: [
              { name: `${C}/match/0`, match: { prefix: '/app' }, route: { cluster: C }, metadata: meta('app', appPolicies) },
              { name: `${OTHER}/match/0`, match: { prefix: '/' }, route: { cluster: OTHER }, metadata: meta('other', otherPolicies) },
            ],
          },
        ],
      },
    ],
  });
}

describe('Envoy Gateway fixes for a policy the proxy names but envoy-doctor did not read', () => {
  const cases = [
    {
      name: 'a policy named on this route only is patched by name',
      app: ['app-limits'],
      other: [],
      target: 'BackendTrafficPolicy home/app-limits',
      apply: 'kubectl-patch',
    },
    {
      name: 'a policy named on every route is the Gateway-level one: a new route-level policy',
      app: ['defaults'],
      other: ['defaults'],
      target: 'BackendTrafficPolicy home/app-connection',
      apply: 'kubectl-apply',
    },
    {
      name: 'two policies named on the route: no guess, a new route-level policy',
      app: ['a', 'b'],
      other: [],
      target: 'BackendTrafficPolicy home/app-connection',
      apply: 'kubectl-apply',
    },
    { name: 'no policy named: a new route-level policy', app: [], other: [], target: 'BackendTrafficPolicy home/app-connection', apply: 'kubectl-apply' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const [fix] = envoyGatewayRenderer.render(snapshot(c.app, c.other), [BREAKERS]).map((r) => r.fix);
      assert.equal(fix?.target, c.target);
      assert.equal(fix?.apply, c.apply);
      const body = parse(fix?.text ?? '') as Record<string, any>;
      if (c.apply === 'kubectl-patch') {
        // Only the fields the fix sets: a merge patch keeps the rest of the live policy.
        assert.deepEqual(body, { spec: { circuitBreaker: { maxConnections: 8, maxPendingRequests: 4, maxParallelRequests: 8 } } });
        assert.deepEqual(
          fix?.notes.map((n) => n.code),
          ['patches-named-policy'],
        );
      } else {
        assert.equal(body.kind, 'BackendTrafficPolicy');
        assert.deepEqual(body.spec.targetRefs, [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'app' }]);
      }
    });
  }

  it('with the Kubernetes objects read, the live objects decide, not the metadata', () => {
    const s = snapshot(['app-limits'], []);
    s.kubernetes = { gateways: [], httpRoutes: [], backendTrafficPolicies: [], clientTrafficPolicies: [], envoyProxies: [], unavailable: [] };
    const [fix] = envoyGatewayRenderer.render(s, [BREAKERS]).map((r) => r.fix);
    assert.equal(fix?.apply, 'kubectl-apply');
  });
});
