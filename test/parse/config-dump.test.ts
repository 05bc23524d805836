import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { parseConfigDocument } from '../../src/parse/config-document.ts';
import { InputError } from '../../src/parse/input-error.ts';

const T = 'type.googleapis.com/envoy.admin.v3';
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** A small Envoy Gateway /config_dump in Envoy's snake_case. */
const DUMP = {
  configs: [
    {
      '@type': `${T}.BootstrapConfigDump`,
      bootstrap: {
        node: { id: 'envoy-home-eg-1', cluster: 'home/eg', user_agent_build_version: { version: { major_number: 1, minor_number: 35, patch: 3 } } },
      },
    },
    {
      '@type': `${T}.ClustersConfigDump`,
      dynamic_active_clusters: [
        {
          cluster: {
            name: 'httproute/home/ha/rule/0',
            type: 'EDS',
            per_connection_buffer_limit_bytes: 32768,
            circuit_breakers: { thresholds: [{ max_retries: 1024 }] },
            metadata: { filter_metadata: { 'envoy-gateway': { resources: [{ kind: 'HTTPRoute', name: 'ha', namespace: 'home' }] } } },
            typed_extension_protocol_options: {
              'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
                '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
                common_http_protocol_options: { idle_timeout: '3600s', max_connection_duration: '0.5s' },
                explicit_http_config: { http2_protocol_options: {} },
              },
            },
          },
        },
      ],
    },
    {
      '@type': `${T}.ListenersConfigDump`,
      dynamic_listeners: [
        {
          name: 'home/eg/https',
          active_state: {
            listener: {
              name: 'home/eg/https',
              address: { socket_address: { address: '0.0.0.0', port_value: 10443 } },
              filter_chains: [
                {
                  transport_socket: {
                    name: 'envoy.transport_sockets.tls',
                    typed_config: {
                      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
                      common_tls_context: { alpn_protocols: ['h2', 'http/1.1'] },
                    },
                  },
                  filters: [
                    {
                      name: 'envoy.filters.network.http_connection_manager',
                      typed_config: {
                        '@type': HCM,
                        stat_prefix: 'https-10443',
                        rds: { route_config_name: 'home/eg/https' },
                        upgrade_configs: [{ upgrade_type: 'websocket' }],
                        stream_idle_timeout: '0s',
                      },
                    },
                  ],
                },
              ],
            },
          },
        },
      ],
    },
    {
      '@type': `${T}.RoutesConfigDump`,
      dynamic_route_configs: [
        {
          route_config: {
            name: 'home/eg/https',
            virtual_hosts: [
              {
                name: 'home/eg/https/ha',
                domains: ['ha.example.com'],
                routes: [
                  {
                    name: 'httproute/home/ha/rule/0/match/0/ha_example_com',
                    match: { prefix: '/' },
                    route: { cluster: 'httproute/home/ha/rule/0', timeout: '0s' },
                  },
                ],
              },
            ],
          },
        },
      ],
    },
    {
      '@type': `${T}.SecretsConfigDump`,
      dynamic_active_secrets: [{ name: 'home/tls', secret: { tls_certificate: { private_key: { inline_string: '[redacted]' } } } }],
    },
  ],
};

/** The same dump as egctl prints it: camelCase field names, map keys and Struct contents unchanged. */
function camel(v: unknown, inStruct = false): unknown {
  if (Array.isArray(v)) return v.map((x) => camel(x, inStruct));
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => {
      const keepKey = inStruct || k.includes('.') || k.startsWith('@') || k.includes('-');
      const key = keepKey ? k : k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
      return [key, camel(x, inStruct || k === 'filter_metadata')];
    }),
  );
}

function check(configs: ReturnType<typeof parseConfigDocument>, id: string): void {
  const c = configs.find((x) => x.id === id);
  assert.ok(c, `snapshot ${id}`);
  assert.equal(c.flavor, 'envoy-gateway');
  assert.equal(c.envoyVersion, '1.35.3');
  const cluster = c.clusters.get('httproute/home/ha/rule/0');
  assert.ok(cluster);
  assert.deepEqual(cluster.bufferLimitBytes, { value: 32768, source: 'envoy-gateway-default' });
  assert.equal(cluster.upstreamProtocol, 'http2');
  assert.equal(cluster.idleTimeoutMs, 3_600_000);
  assert.equal(cluster.maxConnectionDurationMs, 500);
  assert.equal(cluster.tcpKeepalive, undefined);
  assert.deepEqual(cluster.circuitBreakers, [{ priority: 'default', maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 1024 }]);
  assert.deepEqual(cluster.sources, [{ kind: 'HTTPRoute', namespace: 'home', name: 'ha', rule: 0 }]);
  const listener = c.listeners[0];
  assert.ok(listener);
  assert.equal(listener.address, '0.0.0.0_10443');
  assert.deepEqual(listener.bufferLimitBytes, { value: 1_048_576, source: 'envoy-default' });
  assert.deepEqual(listener.sources, [{ kind: 'Gateway', namespace: 'home', name: 'eg', sectionName: 'https' }]);
  const chain = listener.filterChains[0];
  assert.deepEqual(chain?.alpn, ['h2', 'http/1.1']);
  assert.equal(chain?.connectionManager?.statPrefix, 'https-10443');
  assert.deepEqual(chain?.connectionManager?.upgradeTypes, ['websocket']);
  assert.deepEqual(chain?.connectionManager?.streamIdleTimeoutMs, { value: 0, source: 'explicit' });
  const route = c.routes[0];
  assert.deepEqual(route?.clusters, ['httproute/home/ha/rule/0']);
  assert.deepEqual(route?.timeoutMs, { value: 0, source: 'explicit' });
}

describe('config dump formats', () => {
  it("Envoy's snake_case /config_dump", () => {
    check(parseConfigDocument(Buffer.from(JSON.stringify(DUMP)), 'dump.json', 'dump'), 'dump');
  });
  it('YAML', () => {
    check(parseConfigDocument(Buffer.from(stringify(DUMP)), 'dump.yaml', 'dump'), 'dump');
  });
  it("egctl's camelCase, wrapped per namespace and pod: one snapshot per pod", () => {
    const wrapped = { 'envoy-gateway-system': { 'envoy-home-eg-a': camel(DUMP), 'envoy-home-eg-b': camel(DUMP) } };
    const configs = parseConfigDocument(Buffer.from(JSON.stringify(wrapped)), 'egctl.json', 'x');
    assert.deepEqual(
      configs.map((c) => [c.namespace, c.id]),
      [
        ['envoy-gateway-system', 'envoy-home-eg-a'],
        ['envoy-gateway-system', 'envoy-home-eg-b'],
      ],
    );
    check(configs, 'envoy-home-eg-a');
    check(configs, 'envoy-home-eg-b');
  });
  it('egctl camelCase as YAML', () => {
    const wrapped = { 'envoy-gateway-system': { 'envoy-home-eg-a': camel(DUMP) } };
    check(parseConfigDocument(Buffer.from(stringify(wrapped)), 'egctl.yaml', 'x'), 'envoy-home-eg-a');
  });
  it('Istio is recognised from the node, and the namespace read from its id', () => {
    const istio = {
      configs: [
        {
          '@type': `${T}.BootstrapConfigDump`,
          bootstrap: { node: { id: 'sidecar~10.0.0.1~web-1.shop~shop.svc.cluster.local', metadata: { ISTIO_VERSION: '1.24.0' } } },
        },
      ],
    };
    const [c] = parseConfigDocument(Buffer.from(JSON.stringify(istio)), 'istio.json', 'x');
    assert.equal(c?.flavor, 'istio');
    assert.equal(c?.namespace, 'shop');
  });
  it('/config_dump?resource=... prints one entry per resource', () => {
    const clusters = DUMP.configs[1] as { dynamic_active_clusters: Array<{ cluster: object }> };
    const perResource = {
      configs: clusters.dynamic_active_clusters.map((c) => ({ '@type': `${T}.ClustersConfigDump.DynamicCluster`, ...c })),
    };
    const [c] = parseConfigDocument(Buffer.from(JSON.stringify(perResource)), 'resource.json', 'x');
    assert.deepEqual([...(c?.clusters.keys() ?? [])], ['httproute/home/ha/rule/0']);
  });
  it('a route configuration inlined in a connection manager, which Envoy also lists under static_route_configs, is read once', () => {
    const local = {
      name: 'local',
      virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ name: 'events', match: { prefix: '/' }, route: { cluster: 'backend' } }] }],
    };
    const hcm = { '@type': HCM, stat_prefix: 'web', route_config: local };
    const listener = {
      name: 'web',
      address: { socket_address: { address: '127.0.0.1', port_value: 1 } },
      filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm }] }],
    };
    const dump = {
      configs: [
        { '@type': `${T}.ListenersConfigDump`, static_listeners: [{ listener }] },
        { '@type': `${T}.RoutesConfigDump`, static_route_configs: [{ route_config: local }] },
      ],
    };
    const [c] = parseConfigDocument(Buffer.from(JSON.stringify(dump)), 'config_dump.json', 'x');
    assert.deepEqual(
      c?.routes.map((r) => `${r.routeConfigName}/${r.name}`),
      ['local/events'],
    );
    const [listenerOnly] = parseConfigDocument(Buffer.from(JSON.stringify({ configs: [dump.configs[0]] })), 'config_dump.json', 'x');
    assert.deepEqual(
      listenerOnly?.routes.map((r) => `${r.routeConfigName}/${r.name}`),
      ['local/events'],
    );
  });
  it('a plain list of clusters (istioctl proxy-config cluster -o yaml)', () => {
    const list = [
      {
        name: 'outbound|80||web.shop.svc.cluster.local',
        type: 'EDS',
        connect_timeout: '10s',
        upstream_connection_options: { tcp_keepalive: { keepalive_time: 300 } },
      },
    ];
    const [c] = parseConfigDocument(Buffer.from(stringify(list)), 'clusters.yaml', 'x');
    assert.equal(c?.flavor, 'istio');
    assert.deepEqual(c?.clusters.get('outbound|80||web.shop.svc.cluster.local')?.tcpKeepalive, { timeSeconds: 300 });
  });
});

describe('documents that are not config dumps', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['truncated JSON', JSON.stringify(DUMP).slice(0, 500), /^dump\.json: invalid or truncated JSON \(.+\); expected an Envoy \/config_dump/],
    ['JSON of something else', '{"kind": "Deployment", "spec": {}}', /^dump\.json: not an Envoy config dump; expected/],
    ['a config dump with nothing in it', '{"configs": []}', /^dump\.json: holds no bootstrap, clusters, listeners or routes/],
    ['stats text', 'cluster.a.upstream_cx_active: 1\ncluster.a.upstream_cx_total: 2\n', /^dump\.json: Envoy \/stats text; expected an Envoy \/config_dump/],
    ['empty', '', /^dump\.json: an empty input; expected/],
  ];
  for (const [name, text, message] of cases) {
    it(name, () => {
      assert.throws(
        () => parseConfigDocument(Buffer.from(text), 'dump.json', 'x'),
        (err: unknown) => err instanceof InputError && message.test(err.message) && !err.message.includes('\n'),
      );
    });
  }
});
