// The overload manager's limits per flavor: the bootstrap's resource monitors (plain Envoy), the EnvoyProxy's
// container memory limit and bootstrap JSON patch (Envoy Gateway), the workload's ProxyConfig (Istio).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { envoyRenderer } from '../../src/fixes/envoy.ts';
import { envoyGatewayRenderer } from '../../src/fixes/envoy-gateway.ts';
import { istioRenderer } from '../../src/fixes/istio.ts';
import type { FixChange } from '../../src/model/finding.ts';
import type { KubeObject } from '../../src/model/kubernetes.ts';
import { fixture, gatewayCluster, gatewayListener, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const L = 'home/eg/https';
const MIB = 1_048_576;
const HEAP: FixChange = { kind: 'overload-max-heap', listener: L, bytes: 40 * MIB };
const LIMIT: FixChange = { kind: 'overload-connection-limit', listener: L, connections: 100_000 };
const GLOBAL_CX = 'envoy.resource_monitors.global_downstream_max_connections';
const FIXED_HEAP = 'envoy.resource_monitors.fixed_heap';

/** Envoy Gateway's bootstrap overload manager for a container limited to 512 MiB (80% of it the heap maximum). */
const gatewayOverload = {
  refresh_interval: '0.250s',
  resource_monitors: [
    {
      name: GLOBAL_CX,
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig',
        max_active_downstream_connections: '50000',
      },
    },
    {
      name: FIXED_HEAP,
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig', max_heap_size_bytes: '429496729' },
    },
  ],
  actions: [{ name: 'envoy.overload_actions.stop_accepting_requests', triggers: [{ name: FIXED_HEAP, threshold: { value: 0.98 } }] }],
};

const snapshot = (bootstrap: object) =>
  fixture({
    bootstrap: { node: { cluster: 'home/eg', user_agent_build_version: { version: { major_number: 1, minor_number: 40, patch: 0 } } }, ...bootstrap },
    clusters: [gatewayCluster(C)],
    listeners: [gatewayListener()],
    routeConfigs: [routeConfig(L, [C])],
  });
const texts = (r: ReturnType<typeof envoyRenderer.render>) =>
  r.map((x) => ({
    target: x.fix.target,
    object: parse(x.fix.text) as Record<string, unknown>,
    notes: x.fix.notes.map((n) => n.code),
    diff: x.fix.merged?.diff,
  }));

describe('the overload manager fixes', () => {
  it('plain Envoy: the live monitors with the heap maximum and the connection limit set, one object, the actions left as they are', () => {
    const [fix, ...rest] = texts(envoyRenderer.render(snapshot({ overload_manager: gatewayOverload }), [HEAP, LIMIT]));
    assert.equal(rest.length, 0);
    assert.equal(fix?.target, 'bootstrap overload_manager');
    const monitors = (fix?.object.overload_manager as { resource_monitors: Array<{ name: string; typed_config: Record<string, unknown> }> }).resource_monitors;
    assert.deepEqual(
      monitors.map((m) => [m.name, m.typed_config.max_active_downstream_connections ?? m.typed_config.max_heap_size_bytes]),
      [
        [GLOBAL_CX, 100_000],
        [FIXED_HEAP, 40 * MIB],
      ],
    );
    assert.deepEqual(
      fix?.diff?.map((d) => [d.path, d.before, d.after]),
      [
        ['/resource_monitors/0/typed_config/max_active_downstream_connections', '50000', 100_000],
        ['/resource_monitors/1/typed_config/max_heap_size_bytes', '429496729', 40 * MIB],
      ],
    );
    assert.deepEqual(fix?.notes, [
      'overload-manager-needs-restart',
      'heap-maximum-under-memory-limit',
      'fixed-heap-use-allocated',
      'connection-limit-under-file-descriptors',
    ]);
  });

  it('plain Envoy: a connections monitor added beside the runtime key it replaces', () => {
    const [fix] = texts(
      envoyRenderer.render(snapshot({ layered_runtime: { layers: [{ name: 'static', static_layer: { 'overload.global_downstream_max_connections': 4 } }] } }), [
        LIMIT,
      ]),
    );
    const monitors = (fix?.object.overload_manager as { resource_monitors: Array<{ name: string; typed_config: Record<string, unknown> }> }).resource_monitors;
    assert.deepEqual(monitors, [
      {
        name: GLOBAL_CX,
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig',
          max_active_downstream_connections: 100_000,
        },
      },
    ]);
    assert.deepEqual(fix?.notes, ['overload-manager-needs-restart', 'connection-limit-under-file-descriptors', 'connection-monitor-replaces-runtime-key']);
  });

  it('Envoy Gateway: one EnvoyProxy with the memory limit the heap maximum is 80% of, and a JSON patch of the limit; live patches kept', () => {
    const [fresh, ...rest] = texts(envoyGatewayRenderer.render(snapshot({ overload_manager: gatewayOverload }), [HEAP, LIMIT]));
    assert.equal(rest.length, 0);
    assert.equal(fresh?.target, 'EnvoyProxy home/eg-proxy');
    assert.deepEqual(fresh?.object.spec, {
      // 40 MiB / 0.8 = 50 MiB.
      provider: { type: 'Kubernetes', kubernetes: { envoyDeployment: { container: { resources: { limits: { memory: '50Mi' } } } } } },
      bootstrap: {
        type: 'JSONPatch',
        jsonPatches: [{ op: 'replace', path: '/overload_manager/resource_monitors/0/typed_config/max_active_downstream_connections', value: 100_000 }],
      },
    });

    const s = snapshot({ overload_manager: gatewayOverload });
    const gw: KubeObject = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'eg', namespace: 'home' },
      spec: { infrastructure: { parametersRef: { group: 'gateway.envoyproxy.io', kind: 'EnvoyProxy', name: 'custom' } } },
    };
    const own = { op: 'add', path: '/stats_config/use_all_default_tags', value: true };
    const ep: KubeObject = {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'EnvoyProxy',
      metadata: { name: 'custom', namespace: 'home' },
      spec: {
        provider: { type: 'Kubernetes', kubernetes: { envoyDaemonSet: { container: { resources: { limits: { memory: '512Mi' } } } } } },
        bootstrap: { type: 'JSONPatch', jsonPatches: [own] },
      },
    };
    s.kubernetes = { gateways: [gw], httpRoutes: [], backendTrafficPolicies: [], clientTrafficPolicies: [], envoyProxies: [ep], unavailable: [] };
    const [patched] = texts(envoyGatewayRenderer.render(s, [{ ...HEAP, bytes: 1024 * MIB }, LIMIT]));
    assert.equal(patched?.target, 'EnvoyProxy home/custom');
    const spec = patched?.object.spec as { provider: { kubernetes: Record<string, unknown> }; bootstrap: { jsonPatches: unknown[] } };
    assert.deepEqual(spec.provider.kubernetes, { envoyDaemonSet: { container: { resources: { limits: { memory: '1280Mi' } } } } });
    assert.deepEqual(spec.bootstrap.jsonPatches, [
      own,
      { op: 'replace', path: '/overload_manager/resource_monitors/0/typed_config/max_active_downstream_connections', value: 100_000 },
    ]);
  });

  it('Istio: the connection limit in the workload ProxyConfig, beside the stats inclusion list; no field for the heap', () => {
    const s = fixture({
      id: 'web-7d4b9c8f6d-x2x9k',
      bootstrap: { node: { id: 'sidecar~10.0.0.7~web-7d4b9c8f6d-x2x9k.shop~shop.svc.cluster.local' } },
      clusters: [gatewayCluster('outbound|80||api.shop.svc.cluster.local')],
    });
    const [fix, ...rest] = texts(istioRenderer.render(s, [HEAP, LIMIT, { kind: 'stats-inclusion', prefixes: ['http.'] }]));
    assert.equal(rest.length, 0);
    assert.equal(fix?.target, 'Deployment shop/web');
    const annotations = (fix?.object.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations;
    assert.deepEqual(parse(annotations['proxy.istio.io/config'] as string), {
      proxyStatsMatcher: { inclusionPrefixes: ['http.'] },
      proxyMetadata: { ISTIO_META_GLOBAL_DOWNSTREAM_MAX_CONNECTIONS: '100000' },
      runtimeValues: { 'overload.global_downstream_max_connections': '100000' },
    });
    assert.deepEqual(fix?.notes, ['istio-annotation-rolls-pods', 'istio-connection-limit-versions']);
  });
});
