import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/policy-overrides.ts';
import type { KubeObject, KubernetesObjects } from '../../src/model/kubernetes.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { fixture } from '../helpers/snapshot.ts';

const route = (name: string, gateway = 'eg'): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name, namespace: 'home' },
  spec: { parentRefs: [{ name: gateway }] },
});
const policy = (name: string, target: { kind: string; name: string }, spec: Record<string, unknown>, overriddenFor?: string): KubeObject => ({
  apiVersion: 'gateway.envoyproxy.io/v1alpha1',
  kind: 'BackendTrafficPolicy',
  metadata: { name, namespace: 'home' },
  spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', ...target }], ...spec },
  ...(overriddenFor
    ? {
        status: {
          ancestors: [
            {
              conditions: [
                {
                  type: 'Overridden',
                  status: 'True',
                  message: `This policy is being overridden by other backendTrafficPolicies for these routes: [${overriddenFor}]`,
                },
              ],
            },
          ],
        },
      }
    : {}),
});
const objects = (o: Partial<KubernetesObjects>): KubernetesObjects => ({
  gateways: [],
  httpRoutes: [],
  backendTrafficPolicies: [],
  clientTrafficPolicies: [],
  envoyProxies: [],
  unavailable: [],
  ...o,
});
const keepalive = { tcpKeepalive: { probes: 3, idleTime: '60s' }, connection: { bufferLimit: '1Mi' } };

describe('policy-overrides analyzer', () => {
  const cases: Array<{ name: string; k: KubernetesObjects; want: ExpectedFinding[] }> = [
    {
      name: 'the incident: the route-level policy wins and the gateway tcpKeepalive is lost',
      k: objects({
        httpRoutes: [route('home-assistant-app')],
        backendTrafficPolicies: [
          policy('gateway-defaults', { kind: 'Gateway', name: 'eg' }, { tcpKeepalive: { probes: 3 } }, 'home/home-assistant-app'),
          policy('ha-timeouts', { kind: 'HTTPRoute', name: 'home-assistant-app' }, { timeout: { http: { requestTimeout: '0s' } } }),
        ],
      }),
      want: [
        {
          code: 'gateway-policy-overridden',
          entity: 'home/home-assistant-app',
          severity: 'warning',
          evidence: {
            gatewayPolicy: 'home/gateway-defaults',
            winningPolicy: 'home/ha-timeouts',
            lostFields: 'tcpKeepalive',
            lostFieldCount: 1,
            markedOverridden: true,
          },
        },
      ],
    },
    {
      name: 'attached through parentRefs without a status condition: still found, marked so',
      k: objects({
        httpRoutes: [route('app')],
        backendTrafficPolicies: [policy('gw', { kind: 'Gateway', name: 'eg' }, keepalive), policy('r', { kind: 'HTTPRoute', name: 'app' }, { timeout: {} })],
      }),
      want: [
        {
          code: 'gateway-policy-overridden',
          entity: 'home/app',
          evidence: { lostFields: 'tcpKeepalive,connection', lostFieldCount: 2, markedOverridden: false },
        },
      ],
    },
    {
      name: 'mergeType on the route policy keeps the gateway fields: nothing lost',
      k: objects({
        httpRoutes: [route('app')],
        backendTrafficPolicies: [
          policy('gw', { kind: 'Gateway', name: 'eg' }, keepalive),
          policy('r', { kind: 'HTTPRoute', name: 'app' }, { mergeType: 'StrategicMerge', timeout: {} }),
        ],
      }),
      want: [],
    },
    {
      name: 'the route policy sets the same fields: nothing lost',
      k: objects({
        httpRoutes: [route('app')],
        backendTrafficPolicies: [policy('gw', { kind: 'Gateway', name: 'eg' }, keepalive), policy('r', { kind: 'HTTPRoute', name: 'app' }, keepalive)],
      }),
      want: [],
    },
    {
      name: 'a route on another gateway is not overridden by this one',
      k: objects({
        httpRoutes: [route('app', 'other')],
        backendTrafficPolicies: [policy('gw', { kind: 'Gateway', name: 'eg' }, keepalive), policy('r', { kind: 'HTTPRoute', name: 'app' }, { timeout: {} })],
      }),
      want: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = fixture({});
      s.kubernetes = c.k;
      expectFindings(analyze(s), c.want);
    });
  }
  it('no Kubernetes objects: no finding', () => expectFindings(analyze(fixture({})), []));
});
