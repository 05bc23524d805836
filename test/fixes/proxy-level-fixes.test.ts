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
const gateway = () =>
  fixture({
    bootstrap: { node: { cluster: 'home/eg' } },
    clusters: [gatewayCluster(C)],
    listeners: [gatewayListener()],
    routeConfigs: [routeConfig(L, [C])],
  });
const texts = (r: ReturnType<typeof envoyRenderer.render>) =>
  r.map((x) => ({ target: x.fix.target, object: parse(x.fix.text) as Record<string, unknown>, notes: x.fix.notes.map((n) => n.code) }));

describe('fixes that are not traffic policies', () => {
  it('allow_connect: an EnvoyPatchPolicy adding it to the listener connection manager, plain Envoy and Istio fields', () => {
    const change: FixChange = { kind: 'listener-allow-connect', listener: L };
    const [eg, ...rest] = texts(envoyGatewayRenderer.render(gateway(), [change]));
    assert.equal(rest.length, 0);
    assert.equal(eg?.target, 'EnvoyPatchPolicy home/eg-allow-connect');
    assert.deepEqual(eg?.notes, ['envoy-patch-policy-enable', 'alpn-http11-alternative', 'envoy-gateway-minimum-version']);
    assert.deepEqual((eg?.object.spec as Record<string, unknown>).jsonPatches, [
      {
        type: 'type.googleapis.com/envoy.config.listener.v3.Listener',
        name: L,
        operation: {
          op: 'add',
          jsonPath: "..filters[?(@.name=='envoy.filters.network.http_connection_manager')]",
          path: '/typed_config/http2_protocol_options/allow_connect',
          value: true,
        },
      },
    ]);
    assert.deepEqual(
      texts(envoyRenderer.render(gateway(), [change])).map((x) => x.object),
      [{ http2_protocol_options: { allow_connect: true } }],
    );
    const istio = texts(istioRenderer.render(gateway(), [change]))[0]?.object.spec as {
      configPatches: Array<{ applyTo: string; patch: { value: { typed_config: Record<string, unknown> } } }>;
    };
    assert.equal(istio.configPatches[0]?.applyTo, 'NETWORK_FILTER');
    assert.deepEqual(istio.configPatches[0]?.patch.value.typed_config.http2_protocol_options, { allow_connect: true });
  });

  it('drain time: a new EnvoyProxy for the Gateway, or the one its parametersRef names, patched with its fields kept', () => {
    const change: FixChange = { kind: 'proxy-drain-time', listener: L, seconds: 600 };
    const [fresh] = texts(envoyGatewayRenderer.render(gateway(), [change]));
    assert.equal(fresh?.target, 'EnvoyProxy home/eg-proxy');
    assert.deepEqual(fresh?.object.spec, { shutdown: { drainTimeout: '600s' } });
    assert.deepEqual(fresh?.notes, [
      'envoyproxy-reference',
      'envoyproxy-replaces-gatewayclass',
      'drain-timeout-slows-shutdown',
      'envoyproxy-rollout-closes-connections',
    ]);

    const s = gateway();
    const gw: KubeObject = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'eg', namespace: 'home' },
      spec: { infrastructure: { parametersRef: { group: 'gateway.envoyproxy.io', kind: 'EnvoyProxy', name: 'custom' } } },
    };
    const ep: KubeObject = {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'EnvoyProxy',
      metadata: { name: 'custom', namespace: 'home' },
      spec: { logging: { level: { default: 'warn' } }, shutdown: { minDrainDuration: '5s' } },
    };
    s.kubernetes = { gateways: [gw], httpRoutes: [], backendTrafficPolicies: [], clientTrafficPolicies: [], envoyProxies: [ep], unavailable: [] };
    const [patched] = texts(envoyGatewayRenderer.render(s, [change]));
    assert.equal(patched?.target, 'EnvoyProxy home/custom');
    assert.deepEqual(patched?.object.spec, { logging: { level: { default: 'warn' } }, shutdown: { minDrainDuration: '5s', drainTimeout: '600s' } });
    assert.deepEqual(patched?.notes, ['envoyproxy-patches-gateway-proxy', 'drain-timeout-slows-shutdown', 'envoyproxy-rollout-closes-connections']);
    assert.deepEqual(envoyRenderer.render(s, [change]), [], 'a command-line flag is no config fragment');
  });

  it('TCP proxy idle timeout: ClientTrafficPolicy timeout.tcp.idleTimeout, the tcp_proxy field, an Istio patch', () => {
    const change: FixChange = { kind: 'tcp-proxy-idle-timeout', listener: L, statPrefix: 'tls-10444', ms: 3_600_000 };
    const [ctp] = texts(envoyGatewayRenderer.render(gateway(), [change]));
    assert.deepEqual((ctp?.object.spec as Record<string, unknown>).timeout, { tcp: { idleTimeout: '3600s' } });
    const [frag] = texts(envoyRenderer.render(gateway(), [change]));
    assert.equal(frag?.target, `listener ${L}: envoy.filters.network.tcp_proxy (stat_prefix tls-10444)`);
    assert.deepEqual(frag?.object, { idle_timeout: '3600s' });
    const istio = texts(istioRenderer.render(gateway(), [change]))[0]?.object.spec as {
      configPatches: Array<{ match: unknown; patch: { value: { typed_config: Record<string, unknown> } } }>;
    };
    assert.deepEqual(istio.configPatches[0]?.match, { listener: { name: L, filterChain: { filter: { name: 'envoy.filters.network.tcp_proxy' } } } });
    assert.equal(istio.configPatches[0]?.patch.value.typed_config.idle_timeout, '3600s');
  });

  it('connection manager max_stream_duration: raised on the listener; removed from the live policy that sets it', () => {
    const change: FixChange = { kind: 'listener-max-stream-duration', listener: L, ms: 86_400_000 };
    assert.deepEqual((texts(envoyGatewayRenderer.render(gateway(), [change]))[0]?.object.spec as Record<string, unknown>).connection, {
      connectionLimit: { maxStreamDuration: '86400s' },
    });
    assert.deepEqual(texts(envoyRenderer.render(gateway(), [change]))[0]?.object, { common_http_protocol_options: { max_stream_duration: '86400s' } });
    const s = gateway();
    const ctp: KubeObject = {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'ClientTrafficPolicy',
      metadata: { name: 'limits', namespace: 'home' },
      spec: {
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'eg', sectionName: 'https' }],
        connection: { connectionLimit: { value: 5000, maxStreamDuration: '10m' } },
      },
    };
    s.kubernetes = { gateways: [], httpRoutes: [], backendTrafficPolicies: [], clientTrafficPolicies: [ctp], envoyProxies: [], unavailable: [] };
    const [patched] = texts(envoyGatewayRenderer.render(s, [{ ...change, ms: 0 }]));
    assert.deepEqual((patched?.object.spec as Record<string, unknown>).connection, { connectionLimit: { value: 5000 } });
    assert.deepEqual(texts(envoyGatewayRenderer.render(gateway(), [{ ...change, ms: 0 }])), [], 'a new listener policy that sets nothing is not rendered');
  });
});

describe('one EnvoyProxy per Gateway', () => {
  it('the drain time and the stats inclusion list land in the same object', () => {
    const s = fixture({
      bootstrap: { node: { cluster: 'home/eg' }, stats_config: { stats_matcher: { inclusion_list: { patterns: [{ prefix: 'server.' }] } } } },
      clusters: [gatewayCluster(C)],
      listeners: [gatewayListener()],
      routeConfigs: [routeConfig(L, [C])],
    });
    const rendered = texts(
      envoyGatewayRenderer.render(s, [
        { kind: 'proxy-drain-time', listener: L, seconds: 600 },
        { kind: 'stats-inclusion', prefixes: [`cluster.${C}.`] },
      ]),
    );
    assert.deepEqual(
      rendered.map((r) => r.target),
      ['EnvoyProxy home/eg-proxy'],
    );
    assert.deepEqual(rendered[0]?.object.spec, {
      shutdown: { drainTimeout: '600s' },
      telemetry: {
        metrics: {
          matches: [
            { type: 'Prefix', value: 'server.' },
            { type: 'Prefix', value: `cluster.${C}.` },
          ],
        },
      },
    });
    assert.deepEqual(rendered[0]?.notes, [
      'envoyproxy-reference',
      'envoyproxy-replaces-gatewayclass',
      'drain-timeout-slows-shutdown',
      'stats-matches-replace-list',
      'envoyproxy-rollout-closes-connections',
    ]);
  });
});
