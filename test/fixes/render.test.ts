import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import type { Diagnosed } from '../../src/diagnose/root-cause.ts';
import { quantity } from '../../src/fixes/quantity.ts';
import { attachFixes } from '../../src/fixes/plan.ts';
import type { FixChange } from '../../src/model/finding.ts';
import { fixture, gatewayCluster, gatewayListener, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/home-assistant-app/rule/0';
const ISTIO = 'outbound|8123||home-assistant.home.svc.cluster.local';
const keepalive = { probes: 3, timeSeconds: 60, intervalSeconds: 20 };

function diagnosed(id: string, changes: FixChange[]): Diagnosed {
  return { id, severity: 'error', confidence: 'high', score: 1, snapshot: 'p', entities: [], evidence: [], explains: [], checks: [], changes };
}

const gatewaySnapshot = () =>
  fixture({
    bootstrap: { node: { cluster: 'home/eg' } },
    clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 32768 })],
    listeners: [gatewayListener({ bufferLimit: 32768 })],
    routeConfigs: [routeConfig('home/eg/https', [C])],
  });

describe('fixes for Envoy Gateway', () => {
  const s = gatewaySnapshot();
  const [stall, keep] = attachFixes(s, [
    diagnosed('flow-control-stall', [
      { kind: 'cluster-buffer-limit', cluster: C, bytes: 1_048_576 },
      { kind: 'listener-buffer-limit', listener: 'home/eg/https', bytes: 1_048_576 },
    ]),
    diagnosed('missing-tcp-keepalive', [{ kind: 'cluster-tcp-keepalive', cluster: C, ...keepalive }]),
  ]);

  it('one BackendTrafficPolicy for the HTTPRoute carries every field any root cause needs', () => {
    const btp = stall?.fixes.filter((f) => f.flavor === 'envoy-gateway' && f.target.startsWith('BackendTrafficPolicy')) ?? [];
    assert.equal(btp.length, 1);
    assert.equal(btp[0]?.target, 'BackendTrafficPolicy home/home-assistant-app-connection');
    assert.deepEqual(parse(btp[0]?.text ?? ''), {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'BackendTrafficPolicy',
      metadata: { name: 'home-assistant-app-connection', namespace: 'home' },
      spec: {
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'home-assistant-app' }],
        mergeType: 'StrategicMerge',
        connection: { bufferLimit: '1Mi' },
        tcpKeepalive: { probes: 3, idleTime: '60s', interval: '20s' },
      },
    });
    const same = keep?.fixes.find((f) => f.target === btp[0]?.target);
    assert.equal(same?.text, btp[0]?.text, 'both root causes show the identical object, so applying either is safe');
  });

  it("a ClientTrafficPolicy for the Gateway listener's buffer limit", () => {
    const ctp = stall?.fixes.find((f) => f.target.startsWith('ClientTrafficPolicy'));
    assert.deepEqual(parse(ctp?.text ?? ''), {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'ClientTrafficPolicy',
      metadata: { name: 'eg-https-connection', namespace: 'home' },
      spec: {
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'eg', sectionName: 'https' }],
        connection: { bufferLimit: '1Mi' },
      },
    });
    assert.deepEqual(
      ctp?.notes.map((n) => n.code),
      ['client-policy-may-be-overridden', 'listener-limit-pauses-upstream', 'envoy-gateway-minimum-version', 'buffer-raise-cost-unknown'],
    );
  });

  it('plain Envoy fields at their exact paths', () => {
    const cluster = stall?.fixes.find((f) => f.flavor === 'envoy' && f.target === `cluster ${C}`);
    assert.deepEqual(parse(cluster?.text ?? ''), {
      name: C,
      per_connection_buffer_limit_bytes: 1_048_576,
      upstream_connection_options: { tcp_keepalive: { keepalive_probes: 3, keepalive_time: 60, keepalive_interval: 20 } },
    });
    const listener = stall?.fixes.find((f) => f.flavor === 'envoy' && f.target === 'listener home/eg/https');
    assert.deepEqual(parse(listener?.text ?? ''), { name: 'home/eg/https', per_connection_buffer_limit_bytes: 1_048_576 });
  });
});

describe('fixes for Istio', () => {
  const s = fixture({
    bootstrap: { node: { id: 'sidecar~10.0.0.1~gw-1.home~home.svc.cluster.local', metadata: { ISTIO_VERSION: '1.24.0' } } },
    clusters: [gatewayCluster(ISTIO)],
  });
  const [rc] = attachFixes(s, [
    diagnosed('x', [
      { kind: 'cluster-tcp-keepalive', cluster: ISTIO, ...keepalive },
      { kind: 'cluster-buffer-limit', cluster: ISTIO, bytes: 1_048_576 },
    ]),
  ]);
  it('keepalive as a DestinationRule connection pool setting on the port', () => {
    const dr = parse(rc?.fixes.find((f) => f.target.startsWith('DestinationRule'))?.text ?? '');
    assert.equal(dr.spec.host, 'home-assistant.home.svc.cluster.local');
    assert.equal(dr.metadata.namespace, 'home');
    assert.deepEqual(dr.spec.trafficPolicy.portLevelSettings[0], {
      port: { number: 8123 },
      connectionPool: { tcp: { tcpKeepalive: { time: '60s', interval: '20s', probes: 3 } } },
    });
  });
  it('the buffer limit, which has no first-class field, as an EnvoyFilter cluster patch', () => {
    const ef = parse(rc?.fixes.find((f) => f.target.startsWith('EnvoyFilter'))?.text ?? '');
    assert.deepEqual(ef.spec.configPatches, [
      {
        applyTo: 'CLUSTER',
        match: { context: 'SIDECAR_OUTBOUND', cluster: { portNumber: 8123, service: 'home-assistant.home.svc.cluster.local' } },
        patch: { operation: 'MERGE', value: { per_connection_buffer_limit_bytes: 1_048_576 } },
      },
    ]);
  });
});

describe('quantities', () => {
  for (const [bytes, want] of [
    [1_048_576, '1Mi'],
    [32768, '32Ki'],
    [2_097_152, '2Mi'],
    [1500, '1500'],
    [1024 ** 3, '1Gi'],
  ] as const) {
    it(`${bytes} -> ${want}`, () => assert.equal(quantity(bytes), want));
  }
});

describe('fixes for the long-lived-connection catalogue', () => {
  const R = 'httproute/home/home-assistant-app/rule/0/match/0/ha_example_com';
  const s = fixture({
    bootstrap: { node: { cluster: 'home/eg' } },
    clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 32768 })],
    listeners: [gatewayListener({ bufferLimit: 32768 })],
    routeConfigs: [
      { name: 'home/eg/https', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ name: R, match: { prefix: '/' }, route: { cluster: C } }] }] },
    ],
  });
  const [rc] = attachFixes(s, [
    diagnosed('x', [
      { kind: 'route-timeout', route: R, ms: 0 },
      { kind: 'route-idle-timeout', route: R, ms: 3_600_000 },
      { kind: 'route-websocket-upgrade', route: R },
      { kind: 'cluster-circuit-breakers', cluster: C, maxConnections: 4096, maxPendingRequests: 4096, maxRequests: 4096 },
      { kind: 'cluster-client-protocol', cluster: C },
      { kind: 'listener-stream-idle-timeout', listener: 'home/eg/https', ms: 3_600_000 },
    ]),
  ]);
  it('route and cluster changes for one HTTPRoute land in one BackendTrafficPolicy', () => {
    const btp = rc?.fixes.filter((f) => f.target.startsWith('BackendTrafficPolicy')) ?? [];
    assert.equal(btp.length, 1);
    assert.deepEqual(parse(btp[0]?.text ?? '').spec, {
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'home-assistant-app' }],
      mergeType: 'StrategicMerge',
      timeout: { http: { requestTimeout: '0s', streamIdleTimeout: '3600s' } },
      httpUpgrade: [{ type: 'websocket' }],
      circuitBreaker: { maxConnections: 4096, maxPendingRequests: 4096, maxParallelRequests: 4096 },
      useClientProtocol: true,
    });
    const ctp = parse(rc?.fixes.find((f) => f.target.startsWith('ClientTrafficPolicy'))?.text ?? '');
    assert.deepEqual(ctp.spec.timeout, { http: { streamIdleTimeout: '3600s' } });
  });
  it('plain Envoy: the route, the cluster and the connection manager fields at their paths', () => {
    const route = parse(rc?.fixes.find((f) => f.flavor === 'envoy' && f.target === `route ${R}`)?.text ?? '');
    assert.deepEqual(route, { name: R, route: { timeout: '0s', idle_timeout: '3600s', upgrade_configs: [{ upgrade_type: 'websocket' }] } });
    const cluster = parse(rc?.fixes.find((f) => f.flavor === 'envoy' && f.target === `cluster ${C}`)?.text ?? '');
    assert.deepEqual(cluster.circuit_breakers, {
      thresholds: [{ priority: 'DEFAULT', max_connections: 4096, max_pending_requests: 4096, max_requests: 4096 }],
    });
    assert.deepEqual(cluster.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].use_downstream_protocol_config, {
      http_protocol_options: {},
    });
    const hcm = rc?.fixes.find((f) => f.flavor === 'envoy' && f.target.startsWith('listener home/eg/https: envoy.filters.network.http_connection_manager'));
    assert.equal(hcm?.target, 'listener home/eg/https: envoy.filters.network.http_connection_manager (stat_prefix https-10443)');
    assert.deepEqual(parse(hcm?.text ?? ''), { stream_idle_timeout: '3600s' });
  });
  it('Istio: one DestinationRule per host and port carries every connection-pool change', () => {
    const istio = fixture({
      bootstrap: { node: { id: 'sidecar~10.0.0.1~gw-1.home~home.svc.cluster.local', metadata: { ISTIO_VERSION: '1.24.0' } } },
      clusters: [gatewayCluster(ISTIO)],
    });
    const [r] = attachFixes(istio, [
      diagnosed('x', [
        { kind: 'cluster-circuit-breakers', cluster: ISTIO, maxConnections: 4096, maxPendingRequests: 2048, maxRequests: 4096 },
        { kind: 'cluster-client-protocol', cluster: ISTIO },
        { kind: 'cluster-tcp-keepalive', cluster: ISTIO, ...keepalive },
      ]),
    ]);
    const rules = r?.fixes.filter((f) => f.target.startsWith('DestinationRule')) ?? [];
    assert.equal(rules.length, 1);
    assert.deepEqual(parse(rules[0]?.text ?? '').spec.trafficPolicy.portLevelSettings[0].connectionPool, {
      tcp: { maxConnections: 4096, tcpKeepalive: { time: '60s', interval: '20s', probes: 3 } },
      http: { http1MaxPendingRequests: 2048, http2MaxRequests: 4096, useClientProtocol: true },
    });
  });
});
