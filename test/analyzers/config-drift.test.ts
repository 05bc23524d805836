import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/config-drift.ts';
import type { KubeObject, KubernetesObjects } from '../../src/model/kubernetes.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { fixture } from '../helpers/snapshot.ts';

const btp = (name: string, spec: Record<string, unknown>, namespace: string | null = 'home'): KubeObject => ({
  apiVersion: 'gateway.envoyproxy.io/v1alpha1',
  kind: 'BackendTrafficPolicy',
  metadata: { name, ...(namespace ? { namespace } : {}) },
  spec,
});
const live = (policies: KubeObject[], unavailable: string[] = []): KubernetesObjects => ({
  gateways: [],
  httpRoutes: [],
  backendTrafficPolicies: policies,
  clientTrafficPolicies: [],
  envoyProxies: [],
  unavailable,
});

describe('config-drift analyzer', () => {
  const cases: Array<{ name: string; live: KubernetesObjects; manifests: KubeObject[]; want: ExpectedFinding[] }> = [
    {
      name: 'a field changed by hand is reported with both values',
      live: live([btp('p', { tcpKeepalive: { idleTime: '120s', probes: 3 } })]),
      manifests: [btp('p', { tcpKeepalive: { idleTime: '60s', probes: 3 } })],
      want: [
        {
          code: 'manifest-drift',
          entity: 'BackendTrafficPolicy home/p',
          evidence: {
            changedFields: 'spec.tcpKeepalive.idleTime',
            changedCount: 1,
            'manifest:spec.tcpKeepalive.idleTime': '60s',
            'live:spec.tcpKeepalive.idleTime': '120s',
          },
        },
      ],
    },
    {
      name: 'a field only in Git and one only live are both drift',
      live: live([btp('p', { timeout: { http: { requestTimeout: '0s' } }, extra: true })]),
      manifests: [btp('p', { timeout: { http: { requestTimeout: '0s' } }, connection: { bufferLimit: '1Mi' } })],
      want: [
        {
          code: 'manifest-drift',
          entity: 'BackendTrafficPolicy home/p',
          evidence: { changedFields: 'spec.connection.bufferLimit,spec.extra', changedCount: 2, 'live:spec.connection.bufferLimit': null },
        },
      ],
    },
    { name: 'identical specs: nothing', live: live([btp('p', { a: 1 })]), manifests: [btp('p', { a: 1 })], want: [] },
    {
      name: 'a manifest without a namespace matches the one live object of that name',
      live: live([btp('p', { a: 2 }, 'prod')]),
      manifests: [btp('p', { a: 1 }, null)],
      want: [{ code: 'manifest-drift', entity: 'BackendTrafficPolicy p', evidence: { changedCount: 1 } }],
    },
    {
      name: 'declared but not live',
      live: live([]),
      manifests: [btp('q', { a: 1 })],
      want: [{ code: 'manifest-not-applied', entity: 'BackendTrafficPolicy home/q', severity: 'warning' }],
    },
    {
      name: 'not live because the read was refused: unknown, not reported',
      live: live([], ['forbidden: list backendtrafficpolicies.gateway.envoyproxy.io in home (RBAC: see docs/rbac.md)']),
      manifests: [btp('q', { a: 1 })],
      want: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = fixture({});
      s.kubernetes = c.live;
      s.manifests = { source: 'gitops/', objects: c.manifests };
      expectFindings(analyze(s), c.want);
    });
  }
});
