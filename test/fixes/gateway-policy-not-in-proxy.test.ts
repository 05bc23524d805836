// A Gateway-level BackendTrafficPolicy that already sets a field, is Accepted at its current generation and is not
// overridden for a route, while the route's live cluster lacks the field: the proxy does not run what the controller
// accepted. The Envoy Gateway fix is then that policy as it is (nothing added, its own values kept) with a note that
// says why, never a new route-level policy. Anything short of that (no Accepted condition, a stale generation, the
// cluster carrying the policy's value) keeps the usual new route-level policy.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { envoyGatewayRenderer } from '../../src/fixes/envoy-gateway.ts';
import { quantityBytes } from '../../src/fixes/quantity.ts';
import type { FixChange } from '../../src/model/finding.ts';
import type { KubeObject } from '../../src/model/kubernetes.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { fixture, gatewayCluster, gatewayListener, routeConfig } from '../helpers/snapshot.ts';

type Obj = Record<string, unknown>;
const C = 'httproute/home/app/rule/0';
const KEEPALIVE: FixChange = { kind: 'cluster-tcp-keepalive', cluster: C, probes: 3, timeSeconds: 60, intervalSeconds: 20 };
const BUFFER: FixChange = { kind: 'cluster-buffer-limit', cluster: C, bytes: 1048576 };

const accepted = (observedGeneration: number, overriddenFor: string[] = []) => ({
  ancestors: [
    {
      ancestorRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'eg', namespace: 'home' },
      conditions: [
        { type: 'Accepted', status: 'True', reason: 'Accepted', observedGeneration },
        ...(overriddenFor.length > 0
          ? [
              {
                type: 'Overridden',
                status: 'True',
                reason: 'Overridden',
                message: `This policy is being overridden by other backendTrafficPolicies for these routes: [${overriddenFor.join(' ')}]`,
                observedGeneration,
              },
            ]
          : []),
      ],
    },
  ],
});

function gatewayPolicy(spec: Obj, status: Obj | undefined): KubeObject {
  return {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'BackendTrafficPolicy',
    metadata: { name: 'gateway-defaults', namespace: 'home', generation: 2 },
    spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'eg' }], ...spec },
    ...(status ? { status } : {}),
  };
}

function snapshot(policy: KubeObject, cluster: Obj = {}): Snapshot {
  const s = fixture({
    bootstrap: { node: { cluster: 'home/eg' } },
    clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 32768, ...cluster })],
    listeners: [gatewayListener({ bufferLimit: 32768 })],
    routeConfigs: [routeConfig('home/eg/https', [C])],
  });
  const route: KubeObject = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'app', namespace: 'home' },
    spec: { parentRefs: [{ name: 'eg', sectionName: 'https' }], rules: [{ backendRefs: [{ name: 'app', port: 8080 }] }] },
  };
  s.kubernetes = { gateways: [], httpRoutes: [route], backendTrafficPolicies: [policy], clientTrafficPolicies: [], envoyProxies: [], unavailable: [] };
  return s;
}

function render(s: Snapshot, changes: FixChange[]) {
  return envoyGatewayRenderer.render(s, changes).map((r) => ({ ...r.fix, object: parse(r.fix.text) as Obj }));
}

const KEEPALIVE_SPEC = { tcpKeepalive: { probes: 5, idleTime: '30s', interval: '10s' } };

describe('a Gateway-level policy in effect that the live cluster lacks', () => {
  it('is the fix as it is: its own values kept, nothing added, a note with the policy, field, generation, route and cluster', () => {
    const live = gatewayPolicy(KEEPALIVE_SPEC, accepted(2, ['home/other']));
    const [fix, ...rest] = render(snapshot(live), [KEEPALIVE]);
    assert.equal(rest.length, 0);
    assert.equal(fix?.target, 'BackendTrafficPolicy home/gateway-defaults');
    assert.deepEqual((fix?.object as { spec: Obj }).spec, live.spec);
    assert.deepEqual(fix?.liveDiff, { object: 'BackendTrafficPolicy home/gateway-defaults', changes: [] });
    assert.deepEqual(
      fix?.notes.map((n) => n.code),
      ['gateway-policy-not-in-proxy'],
    );
    assert.deepEqual(fix?.notes[0]?.values, {
      policy: 'home/gateway-defaults',
      fields: 'tcpKeepalive',
      generation: 2,
      route: 'home/app',
      overriddenFor: 'home/other',
      cluster: C,
    });
  });

  it('a buffer limit the policy sets and the cluster does not have is the same case', () => {
    const live = gatewayPolicy({ connection: { bufferLimit: '1Mi' } }, accepted(2));
    const [fix] = render(snapshot(live), [BUFFER]);
    assert.equal(fix?.target, 'BackendTrafficPolicy home/gateway-defaults');
    assert.deepEqual(fix?.liveDiff?.changes, []);
    assert.deepEqual(fix?.notes[0], {
      code: 'gateway-policy-not-in-proxy',
      values: { policy: 'home/gateway-defaults', fields: 'connection.bufferLimit', generation: 2, route: 'home/app', overriddenFor: null, cluster: C },
    });
  });

  for (const [name, policy, cluster] of [
    ['no status: not known to be in effect', gatewayPolicy(KEEPALIVE_SPEC, undefined), {}],
    ['Accepted for an older generation', gatewayPolicy(KEEPALIVE_SPEC, accepted(1)), {}],
    ['Overridden for this very route (by a policy not read)', gatewayPolicy(KEEPALIVE_SPEC, accepted(2, ['home/app'])), {}],
    [
      'the cluster carries the policy value (32Ki): raising it is a new route-level value',
      gatewayPolicy({ connection: { bufferLimit: '32Ki' } }, accepted(2)),
      {},
    ],
  ] as Array<[string, KubeObject, Obj]>) {
    it(`${name}: a new route-level policy merged with it, as before`, () => {
      const change = name.startsWith('the cluster') ? BUFFER : KEEPALIVE;
      const fixes = render(snapshot(policy, cluster), [change]);
      assert.deepEqual(
        fixes.map((f) => f.target),
        ['BackendTrafficPolicy home/app-connection'],
      );
      assert.equal((fixes[0]?.object as { spec: Obj }).spec.mergeType, 'StrategicMerge');
      assert.ok(!fixes[0]?.notes.some((n) => n.code === 'gateway-policy-not-in-proxy'));
    });
  }
});

describe('quantityBytes', () => {
  it('reads the quantities policies hold', () => {
    assert.deepEqual(['1Mi', '32Ki', '32768', '1M', '1.5Ki', 65536, 'lots', undefined].map(quantityBytes), [
      1048576,
      32768,
      32768,
      1000000,
      1536,
      65536,
      undefined,
      undefined,
    ]);
  });
});
