// Istio fixes stay on the workload and in the context they were found in: per fix kind and proxy kind (sidecar
// inbound and outbound, ingress gateway), the EnvoyFilter's selector, namespace and each patch's match; the
// first-class objects (a DestinationRule that already configures the host, a VirtualService timeout) where they
// exist; every object valid against the published Istio schemas.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { istioRenderer, workloadSelector } from '../../src/fixes/istio.ts';
import { proxyKind } from '../../src/fixes/istio-envoy-filter.ts';
import type { FixChange, RenderedFix } from '../../src/model/finding.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { problems } from '../helpers/crd.ts';
import { fixture, gatewayListener } from '../helpers/snapshot.ts';

type Obj = Record<string, unknown>;
const OUT = 'outbound|8080||api.shop.svc.cluster.local';
const IN = 'inbound|8080||';
const LABELS = { app: 'web', version: 'v1', 'pod-template-hash': '5f7d9c', 'security.istio.io/tlsMode': 'istio', 'service.istio.io/canonical-name': 'web' };
const VS = '/apis/networking.istio.io/v1/namespaces/shop/virtual-service/api';
const DR = '/apis/networking.istio.io/v1/namespaces/shop/destination-rule/api-pool';

function routeConfigs(): object[] {
  return [
    {
      name: '8080',
      virtual_hosts: [
        {
          name: 'api.shop.svc.cluster.local:8080',
          domains: ['api'],
          routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster: OUT }, metadata: { filter_metadata: { istio: { config: VS } } } }],
        },
        { name: 'allow_any', domains: ['*'], routes: [{ name: 'allow_any', match: { prefix: '/' }, route: { cluster: 'PassthroughCluster' } }] },
      ],
    },
    {
      name: 'inbound|8080||',
      virtual_hosts: [{ name: 'inbound|http|8080', domains: ['*'], routes: [{ name: 'inbound-default', match: { prefix: '/' }, route: { cluster: IN } }] }],
    },
  ];
}

function sidecar(labels: Record<string, string> | null = LABELS, namespace = 'shop'): Snapshot {
  const s = fixture({
    id: 'web-5f7d9c-abcde',
    bootstrap: {
      node: {
        id: `sidecar~10.0.0.7~web-5f7d9c-abcde.${namespace}~${namespace}.svc.cluster.local`,
        metadata: { ISTIO_VERSION: '1.29.2', WORKLOAD_NAME: 'web', ...(labels ? { LABELS: labels } : {}) },
      },
    },
    clusters: [
      { name: OUT, type: 'EDS', metadata: { filter_metadata: { istio: { config: DR } } } },
      { name: 'outbound|9090||billing.shop.svc.cluster.local', type: 'EDS' },
      { name: IN, type: 'ORIGINAL_DST' },
    ],
    listeners: [
      gatewayListener({ name: 'virtualInbound', port: 15006, routeConfig: IN }),
      gatewayListener({ name: '0.0.0.0_8080', port: 8080, routeConfig: '8080' }),
    ],
    routeConfigs: routeConfigs(),
  });
  s.namespace = namespace;
  return s;
}

function ingressGateway(labels: Record<string, string> | undefined): Snapshot {
  const s = fixture({
    id: 'istio-ingressgateway-7c9d-xyz',
    bootstrap: {
      node: {
        id: 'router~10.0.0.9~istio-ingressgateway-7c9d-xyz.istio-system~istio-system.svc.cluster.local',
        metadata: { ISTIO_VERSION: '1.29.2', ...(labels ? { LABELS: labels } : {}) },
      },
    },
    clusters: [{ name: OUT, type: 'EDS' }],
    listeners: [gatewayListener({ name: '0.0.0.0_8443', port: 8443, routeConfig: 'https.443.https.gw.istio-system' })],
    routeConfigs: [
      {
        name: 'https.443.https.gw.istio-system',
        virtual_hosts: [
          { name: 'api.example.com:443', domains: ['api.example.com'], routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster: OUT } }] },
        ],
      },
    ],
  });
  s.namespace = 'istio-system';
  return s;
}

function render(s: Snapshot, changes: FixChange[]): Array<RenderedFix & { object: { metadata: Obj; spec: Obj } }> {
  return istioRenderer.render(s, changes).map((r) => ({ ...r.fix, object: parse(r.fix.text) }));
}

function filterOf(fixes: ReturnType<typeof render>) {
  const f = fixes.find((x) => x.target.startsWith('EnvoyFilter'));
  assert.ok(f, 'an EnvoyFilter');
  return f;
}

const keepalive = { probes: 3, timeSeconds: 60, intervalSeconds: 20 };
const HCM = { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } };

describe('Istio: every EnvoyFilter patch in the context of the proxy it was found on', () => {
  const cases: Array<{ name: string; proxy: () => Snapshot; change: FixChange; applyTo: string; match: Obj }> = [
    {
      name: 'sidecar, outbound cluster',
      proxy: () => sidecar(),
      change: { kind: 'cluster-buffer-limit', cluster: OUT, bytes: 1_048_576 },
      applyTo: 'CLUSTER',
      match: { context: 'SIDECAR_OUTBOUND', cluster: { portNumber: 8080, service: 'api.shop.svc.cluster.local' } },
    },
    {
      name: 'sidecar, inbound cluster',
      proxy: () => sidecar(),
      change: { kind: 'cluster-tcp-keepalive', cluster: IN, ...keepalive },
      applyTo: 'CLUSTER',
      match: { context: 'SIDECAR_INBOUND', cluster: { portNumber: 8080 } },
    },
    {
      name: 'sidecar, virtualInbound listener',
      proxy: () => sidecar(),
      change: { kind: 'listener-buffer-limit', listener: 'virtualInbound', bytes: 1_048_576 },
      applyTo: 'LISTENER',
      match: { context: 'SIDECAR_INBOUND', listener: { name: 'virtualInbound' } },
    },
    {
      name: 'sidecar, outbound listener',
      proxy: () => sidecar(),
      change: { kind: 'listener-stream-idle-timeout', listener: '0.0.0.0_8080', ms: 3_600_000 },
      applyTo: 'NETWORK_FILTER',
      match: { context: 'SIDECAR_OUTBOUND', listener: { name: '0.0.0.0_8080', ...HCM } },
    },
    {
      name: 'sidecar, outbound route: route configuration and virtual host matched as well as the name Istio repeats',
      proxy: () => sidecar(),
      change: { kind: 'route-websocket-upgrade', route: 'default' },
      applyTo: 'HTTP_ROUTE',
      match: {
        context: 'SIDECAR_OUTBOUND',
        routeConfiguration: { name: '8080', vhost: { name: 'api.shop.svc.cluster.local:8080', route: { name: 'default' } } },
      },
    },
    {
      name: 'sidecar, inbound route',
      proxy: () => sidecar(),
      change: { kind: 'route-idle-timeout', route: 'inbound-default', ms: 3_600_000 },
      applyTo: 'HTTP_ROUTE',
      match: {
        context: 'SIDECAR_INBOUND',
        routeConfiguration: { name: 'inbound|8080||', vhost: { name: 'inbound|http|8080', route: { name: 'inbound-default' } } },
      },
    },
    {
      name: 'ingress gateway (router~), cluster',
      proxy: () => ingressGateway({ istio: 'ingressgateway' }),
      change: { kind: 'cluster-buffer-limit', cluster: OUT, bytes: 1_048_576 },
      applyTo: 'CLUSTER',
      match: { context: 'GATEWAY', cluster: { portNumber: 8080, service: 'api.shop.svc.cluster.local' } },
    },
    {
      name: 'ingress gateway, listener',
      proxy: () => ingressGateway({ istio: 'ingressgateway' }),
      change: { kind: 'listener-allow-connect', listener: '0.0.0.0_8443' },
      applyTo: 'NETWORK_FILTER',
      match: { context: 'GATEWAY', listener: { name: '0.0.0.0_8443', ...HCM } },
    },
    {
      name: 'ingress gateway, route',
      proxy: () => ingressGateway({ istio: 'ingressgateway' }),
      change: { kind: 'route-timeout', route: 'default', ms: 0 },
      applyTo: 'HTTP_ROUTE',
      match: {
        context: 'GATEWAY',
        routeConfiguration: { name: 'https.443.https.gw.istio-system', vhost: { name: 'api.example.com:443', route: { name: 'default' } } },
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const fixes = render(c.proxy(), [c.change]);
      const f = filterOf(fixes);
      const patches = f.object.spec.configPatches as Array<{ applyTo: string; match: Obj }>;
      assert.equal(patches.length, 1);
      assert.equal(patches[0]?.applyTo, c.applyTo);
      assert.deepEqual(patches[0]?.match, c.match);
      assert.deepEqual(
        fixes.flatMap((x) => problems(x)),
        [],
      );
    });
  }
});

describe('Istio: listener keepalive by Envoy version', () => {
  const change: FixChange = { kind: 'listener-tcp-keepalive', listener: 'virtualInbound', ...keepalive };
  const patchValue = (s: Snapshot) => (filterOf(render(s, [change])).object.spec.configPatches as Array<{ patch: { value: Obj } }>)[0]?.patch.value;
  it('Envoy >= 1.37 (named by the dump): Listener.tcp_keepalive', () => {
    const s = sidecar();
    s.envoyVersion = '1.40.0';
    assert.deepEqual(patchValue(s), { tcp_keepalive: { keepalive_probes: 3, keepalive_time: 60, keepalive_interval: 20 } });
  });
  it("an older or unknown Envoy: the keepalive socket options, appended to the listener's own by the MERGE", () => {
    const s = sidecar();
    s.envoyVersion = '1.36.2';
    assert.deepEqual(
      (patchValue(s)?.socket_options as Obj[]).map((o) => [o.level, o.name, o.int_value]),
      [
        [1, 9, 1],
        [6, 4, 60],
        [6, 5, 20],
        [6, 6, 3],
      ],
    );
  });
});

describe('Istio: the EnvoyFilter is scoped to the workload', () => {
  it('a sidecar: the workload labels of its node metadata, in its namespace, named after the workload', () => {
    const f = filterOf(render(sidecar(), [{ kind: 'listener-buffer-limit', listener: 'virtualInbound', bytes: 1_048_576 }]));
    assert.equal(f.target, 'EnvoyFilter shop/web-connection');
    assert.deepEqual(f.object.spec.workloadSelector, { labels: { app: 'web', version: 'v1' } });
    assert.deepEqual(f.notes[0], { code: 'envoyfilter-workload-scoped', values: { selector: 'app=web,version=v1', namespace: 'shop', proxy: 'sidecar' } });
  });
  it('an ingress gateway in the root namespace: selected by its istio label, never left mesh-wide', () => {
    const f = filterOf(
      render(ingressGateway({ istio: 'ingressgateway', app: 'istio-ingressgateway', 'pod-template-hash': 'x' }), [
        { kind: 'cluster-buffer-limit', cluster: OUT, bytes: 1_048_576 },
      ]),
    );
    assert.equal(f.target, 'EnvoyFilter istio-system/istio-ingressgateway-connection');
    assert.deepEqual(f.object.spec.workloadSelector, { labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' } });
  });
  it('no labels in the root namespace: no selector can be given, and the fix says it would reach every proxy', () => {
    const f = filterOf(render(ingressGateway(undefined), [{ kind: 'cluster-buffer-limit', cluster: OUT, bytes: 1_048_576 }]));
    assert.equal(f.object.spec.workloadSelector, undefined);
    assert.deepEqual(
      f.notes.map((n) => n.code),
      ['envoyfilter-mesh-wide'],
    );
  });
  it('no labels elsewhere: the namespace-wide reach is stated', () => {
    const f = filterOf(render(sidecar(null), [{ kind: 'listener-buffer-limit', listener: 'virtualInbound', bytes: 1_048_576 }]));
    assert.deepEqual(
      f.notes.map((n) => n.code),
      ['envoyfilter-add-workload-selector'],
    );
  });
  it('labels without a well-known name: every stable label, none that differs per pod or that Istio sets', () => {
    const s = sidecar({ team: 'payments', tier: 'backend', 'pod-template-hash': 'abc', 'topology.istio.io/network': 'n1' });
    assert.deepEqual(workloadSelector(s), { team: 'payments', tier: 'backend' });
  });
  it('what a proxy is: by node id, else by its listeners', () => {
    assert.equal(proxyKind(sidecar()), 'sidecar');
    assert.equal(proxyKind(ingressGateway(undefined)), 'gateway');
    assert.equal(proxyKind(fixture({ listeners: [gatewayListener({ name: 'virtualOutbound', port: 15001 })] })), 'sidecar');
    assert.equal(proxyKind(fixture({ listeners: [gatewayListener()] })), 'unknown');
  });
});

describe('Istio: first-class objects where they exist', () => {
  it('a cluster a DestinationRule configures: that DestinationRule patched (merge patch of trafficPolicy), no second one', () => {
    const fixes = render(sidecar(), [
      { kind: 'cluster-tcp-keepalive', cluster: OUT, ...keepalive },
      { kind: 'cluster-circuit-breakers', cluster: OUT, maxConnections: 4096, maxPendingRequests: 2048, maxRequests: 4096 },
    ]);
    assert.deepEqual(
      fixes.map((f) => [f.target, f.apply]),
      [['DestinationRule shop/api-pool', 'kubectl-patch']],
    );
    assert.deepEqual(fixes[0]?.object.spec, {
      trafficPolicy: {
        connectionPool: {
          tcp: { tcpKeepalive: { time: '60s', interval: '20s', probes: 3 }, maxConnections: 4096 },
          http: { http1MaxPendingRequests: 2048, http2MaxRequests: 4096 },
        },
      },
    });
    assert.deepEqual(
      fixes[0]?.notes.map((n) => n.code),
      ['istio-patch-destination-rule'],
    );
    assert.deepEqual(
      fixes.flatMap((x) => problems(x)),
      [],
    );
  });
  it('a cluster no DestinationRule configures: a new one for the host and port', () => {
    const fixes = render(sidecar(), [{ kind: 'cluster-client-protocol', cluster: 'outbound|9090||billing.shop.svc.cluster.local' }]);
    assert.equal(fixes[0]?.target, 'DestinationRule shop/billing-connection');
    assert.deepEqual(fixes[0]?.object.spec, {
      host: 'billing.shop.svc.cluster.local',
      trafficPolicy: { portLevelSettings: [{ port: { number: 9090 }, connectionPool: { http: { useClientProtocol: true } } }] },
    });
    assert.deepEqual(
      fixes.flatMap((x) => problems(x)),
      [],
    );
  });
  it('a route from a VirtualService: its timeout changed there, no EnvoyFilter (test/fixes/istio-virtual-service.test.ts has every case)', () => {
    const fixes = render(sidecar(), [{ kind: 'route-timeout', route: 'default', ms: 0 }]);
    assert.deepEqual(
      fixes.map((f) => [f.target, f.apply]),
      [['VirtualService shop/api', 'kubectl-json-patch']],
    );
  });
});
