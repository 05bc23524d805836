// Shapes real dumps have that the newest Envoy no longer prints: filters in the legacy `config` Struct (Envoy <= 1.12)
// and the v2alpha listener arrays, rejected listeners (`error_state`), unnamed static listeners, the version only
// in `node.build_version`, listeners-only Istio dumps, and node ids that name the proxy.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadOffline } from '../../src/collect/files.ts';
import { diagnose } from '../../src/cli/diagnosis.ts';
import { assembleSnapshot, knownEntities } from '../../src/parse/assemble.ts';
import { parseConfigDocument } from '../../src/parse/config-document.ts';
import { proxyNameOfNode } from '../../src/parse/proxy-node.ts';
import { parseStatsString } from '../helpers/stats-string.ts';

const V2 = 'type.googleapis.com/envoy.admin.v2alpha';
const V3 = 'type.googleapis.com/envoy.admin.v3';

const parse = (doc: object) => {
  const [config] = parseConfigDocument(Buffer.from(JSON.stringify(doc)), 'dump.json', 'dump.json');
  assert.ok(config);
  return config;
};

/** An Envoy 1.12 dump as Istio 1.4 sidecars printed it: v2alpha arrays, `config` Structs, legacy filter names. */
const ENVOY_1_12 = {
  configs: [
    {
      '@type': `${V2}.BootstrapConfigDump`,
      bootstrap: { node: { id: 'sidecar~10.1.2.3~web-7d9f-abcde.shop~shop.svc.cluster.local', build_version: '0b8a2d8c/1.12.2/Clean/RELEASE/BoringSSL' } },
    },
    {
      '@type': `${V2}.ClustersConfigDump`,
      dynamic_active_clusters: [
        { cluster: { name: 'outbound|5432||db.shop.svc.cluster.local', type: 'EDS', tls_context: { common_tls_context: { alpn_protocols: ['istio'] } } } },
        { cluster: { name: 'outbound|80||web.shop.svc.cluster.local', type: 'EDS' } },
      ],
    },
    {
      '@type': `${V2}.ListenersConfigDump`,
      dynamic_active_listeners: [
        {
          listener: {
            name: '10.0.0.9_5432',
            address: { socket_address: { address: '10.0.0.9', port_value: 5432 } },
            filter_chains: [
              {
                filters: [
                  {
                    name: 'envoy.tcp_proxy',
                    config: {
                      stat_prefix: 'outbound|5432||db.shop.svc.cluster.local',
                      cluster: 'outbound|5432||db.shop.svc.cluster.local',
                      idle_timeout: '600s',
                    },
                  },
                ],
              },
            ],
          },
        },
        {
          listener: {
            name: '0.0.0.0_80',
            address: { socket_address: { address: '0.0.0.0', port_value: 80 } },
            filter_chains: [
              {
                filters: [
                  {
                    name: 'envoy.http_connection_manager',
                    config: {
                      stat_prefix: '0.0.0.0_80',
                      rds: { route_config_name: '80' },
                      stream_idle_timeout: '0s',
                      upgrade_configs: [{ upgrade_type: 'websocket' }],
                      http_filters: [{ name: 'envoy.buffer', config: { max_request_bytes: 1024 } }, { name: 'envoy.router' }],
                    },
                  },
                ],
              },
            ],
          },
        },
      ],
      dynamic_warming_listeners: [{ listener: { name: '0.0.0.0_8080', address: { socket_address: { address: '0.0.0.0', port_value: 8080 } } } }],
    },
  ],
};

describe('Envoy <= 1.12 dumps', () => {
  const config = parse(ENVOY_1_12);
  it('reads tcp_proxy and connection managers from the legacy config Struct', () => {
    const db = config.listeners.find((l) => l.name === '10.0.0.9_5432');
    assert.equal(db?.filterChains[0]?.tcpProxy?.cluster, 'outbound|5432||db.shop.svc.cluster.local');
    assert.equal(db?.filterChains[0]?.tcpProxy?.idleTimeoutMs.value, 600_000);
    const web = config.listeners.find((l) => l.name === '0.0.0.0_80')?.filterChains[0]?.connectionManager;
    assert.equal(web?.statPrefix, '0.0.0.0_80');
    assert.equal(web?.routeConfigName, '80');
    assert.equal(web?.streamIdleTimeoutMs.value, 0);
    assert.deepEqual(web?.upgradeTypes, ['websocket']);
    assert.deepEqual(web?.httpFilters, ['envoy.filters.http.buffer', 'envoy.filters.http.router']);
  });
  it('reads the v2alpha listener arrays with their states', () => {
    assert.deepEqual(
      config.listeners.map((l) => [l.name, l.state]),
      [
        ['10.0.0.9_5432', 'active'],
        ['0.0.0.0_80', 'active'],
        ['0.0.0.0_8080', 'warming'],
      ],
    );
  });
  it('reads a cluster tls_context as upstream TLS', () => {
    assert.equal(config.clusters.get('outbound|5432||db.shop.svc.cluster.local')?.upstreamTls, true);
    assert.deepEqual(config.clusters.get('outbound|5432||db.shop.svc.cluster.local')?.upstreamAlpn, ['istio']);
  });
  it('takes the version from the legacy build_version string', () => assert.equal(config.envoyVersion, '1.12.2'));
  it('keeps the node id, which names the proxy', () => {
    assert.equal(config.nodeId, 'sidecar~10.1.2.3~web-7d9f-abcde.shop~shop.svc.cluster.local');
    assert.equal(proxyNameOfNode(config.nodeId as string), 'web-7d9f-abcde');
    assert.equal(config.namespace, 'shop');
  });
});

describe('TypedStruct filters', () => {
  it('reads a tcp_proxy wrapped in udpa TypedStruct', () => {
    const config = parse({
      configs: [
        {
          '@type': `${V3}.ListenersConfigDump`,
          static_listeners: [
            {
              listener: {
                name: 'tunnel',
                address: { socket_address: { address: '0.0.0.0', port_value: 9000 } },
                filter_chains: [
                  {
                    filters: [
                      {
                        name: 'tcp',
                        typed_config: {
                          '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct',
                          type_url: 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
                          value: { stat_prefix: 't', cluster: 'c' },
                        },
                      },
                    ],
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    assert.equal(config.listeners[0]?.filterChains[0]?.tcpProxy?.cluster, 'c');
  });
});

describe('unnamed static listeners', () => {
  it('are counted, named by their address', () => {
    const config = parse({
      configs: [
        {
          '@type': `${V3}.ListenersConfigDump`,
          static_listeners: [
            { listener: { address: { socket_address: { address: '0.0.0.0', port_value: 15090 } }, filter_chains: [] } },
            { listener: { address: { socket_address: { address: '0.0.0.0', port_value: 15021 } }, filter_chains: [] } },
          ],
        },
      ],
    });
    assert.deepEqual(
      config.listeners.map((l) => l.name),
      ['0.0.0.0_15090', '0.0.0.0_15021'],
    );
  });
});

describe('rejected listeners (error_state)', () => {
  const failed = (port: number) => ({
    '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener',
    name: 'virtualInbound',
    address: { socket_address: { address: '0.0.0.0', port_value: port } },
  });
  const config = parse({
    configs: [
      {
        '@type': `${V3}.ListenersConfigDump`,
        dynamic_listeners: [
          {
            name: 'virtualInbound',
            error_state: {
              failed_configuration: failed(15006),
              last_update_attempt: '2026-11-30T10:02:03.456Z',
              details: 'Proto constraint validation failed (ListenerValidationError.FilterChains[0]: ...)',
              version_info: '2026-11-30T10:02:01Z/42',
            },
          },
          {
            name: '0.0.0.0_8080',
            active_state: { listener: { name: '0.0.0.0_8080', address: { socket_address: { address: '0.0.0.0', port_value: 8080 } } } },
            error_state: { failed_configuration: { ...failed(8080), name: '0.0.0.0_8080' }, details: 'error adding listener: duplicate filter chain match' },
          },
        ],
      },
    ],
  });
  it('are read with the error, the attempt time and whether an earlier version still serves', () => {
    assert.deepEqual(config.rejectedListeners, [
      {
        name: 'virtualInbound',
        address: '0.0.0.0_15006',
        port: 15006,
        details: 'Proto constraint validation failed (ListenerValidationError.FilterChains[0]: ...)',
        lastUpdateAttempt: '2026-11-30T10:02:03.456Z',
        versionInfo: '2026-11-30T10:02:01Z/42',
        stillServing: false,
      },
      { name: '0.0.0.0_8080', address: '0.0.0.0_8080', port: 8080, details: 'error adding listener: duplicate filter chain match', stillServing: true },
    ]);
  });
  it('leave the active listeners as they are', () =>
    assert.deepEqual(
      config.listeners.map((l) => l.name),
      ['0.0.0.0_8080'],
    ));
  it('make an Istio dump read as Istio', () => assert.equal(config.flavor, 'istio'));
});

describe('listeners-only Istio dumps', () => {
  it('are Istio, from the listeners and their filters', () => {
    const config = parse({
      configs: [
        {
          '@type': `${V3}.ListenersConfigDump`,
          dynamic_listeners: [
            {
              name: '0.0.0.0_9080',
              active_state: {
                listener: {
                  name: '0.0.0.0_9080',
                  address: { socket_address: { address: '0.0.0.0', port_value: 9080 } },
                  filter_chains: [
                    {
                      filters: [
                        {
                          name: 'envoy.filters.network.http_connection_manager',
                          typed_config: {
                            '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                            stat_prefix: 'outbound_0.0.0.0_9080',
                            rds: { route_config_name: '9080' },
                            http_filters: [{ name: 'istio.metadata_exchange' }, { name: 'envoy.filters.http.router' }],
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
      ],
    });
    assert.equal(config.flavor, 'istio');
  });
  it('a plain Envoy listener stays plain Envoy', () => {
    const config = parse({
      configs: [
        {
          '@type': `${V3}.ListenersConfigDump`,
          static_listeners: [{ listener: { name: 'http', address: { socket_address: { address: '0.0.0.0', port_value: 80 } } } }],
        },
      ],
    });
    assert.equal(config.flavor, 'envoy');
  });
});

describe('proxy names from node ids', () => {
  it('Istio gateways and sidecars by their pod, others by the id', () => {
    assert.equal(proxyNameOfNode('router~10.0.0.5~istio-ingressgateway-5c8d-xyz.istio-system~istio-system.svc.cluster.local'), 'istio-ingressgateway-5c8d-xyz');
    assert.equal(proxyNameOfNode('envoy-default-eg-e41e7b31-7f8c8f9d4c-abcde'), 'envoy-default-eg-e41e7b31-7f8c8f9d4c-abcde');
    assert.equal(proxyNameOfNode('default.backend-1'), 'default.backend-1');
  });
});

const CORPUS = new URL('../../../shared/corpus/', import.meta.url);

describe('real captures', { skip: existsSync(CORPUS) ? false : 'shared/corpus is not beside this checkout' }, () => {
  it('istio waypoint: the unnamed static listener on 15021 is counted', () => {
    const [config] = parseConfigDocument(readFileSync(new URL('istio/config_dump.json', CORPUS)), 'config_dump.json', 'config_dump.json');
    assert.ok(config?.listeners.some((l) => l.origin === 'static' && l.address === '0.0.0.0_15021'));
    assert.equal(config?.flavor, 'istio');
  });
  it('kuma: the Envoy version and the node id', () => {
    const [config] = parseConfigDocument(readFileSync(new URL('kuma/full_config.json', CORPUS)), 'full_config.json', 'full_config.json');
    assert.equal(config?.envoyVersion, '1.19.0');
    assert.equal(config?.nodeId, 'default.backend-1');
  });
});

describe('real dumps, configuration alone', { skip: existsSync(CORPUS) ? false : 'shared/corpus is not beside this checkout' }, () => {
  const dumps = [
    'istio/config_dump.json',
    'istio/compare-configdump.json',
    'kuma/full_config.json',
    'envoy-gateway/config_dump.in.all.json',
    'envoy-gateway/egctl-translate.all.json',
  ];
  for (const name of dumps) {
    it(`${name}: no root cause, and no warning, from the configuration alone`, async () => {
      const configs = parseConfigDocument(readFileSync(new URL(name, CORPUS)), name, name);
      const d = await diagnose(configs.map((config) => assembleSnapshot({ id: config.id, config, inputs: { configDump: name } })));
      assert.deepEqual(
        d.rootCauses.map((r) => `${r.id} ${r.entities.map((e) => e.name).join(',')}`),
        [],
      );
      assert.deepEqual(
        d.findings.filter((f) => f.severity !== 'info').map((f) => f.code),
        [],
      );
    });
  }
});

describe('a dump given as a file', () => {
  it('is named after its node, not the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'envoy-doctor-node-'));
    try {
      const path = join(dir, 'config_dump.json');
      writeFileSync(path, JSON.stringify(ENVOY_1_12));
      const { snapshots } = await loadOffline({ configDump: path });
      assert.deepEqual(
        snapshots.map((s) => [s.id, s.namespace, s.envoyVersion, s.flavor]),
        [['web-7d9f-abcde', 'shop', '1.12.2', 'istio']],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an Envoy 1.12 dump with stats', () => {
  it('yields the findings its legacy filters call for', async () => {
    const [config] = parseConfigDocument(Buffer.from(JSON.stringify(ENVOY_1_12)), 'dump.json', 'dump.json');
    assert.ok(config);
    const stats = await parseStatsString(
      [
        'tcp.outbound|5432||db.shop.svc.cluster.local.downstream_cx_total: 40',
        'tcp.outbound|5432||db.shop.svc.cluster.local.idle_timeout: 12',
        'http.0.0.0.0_80.downstream_cx_total: 9',
        '',
      ].join('\n'),
      'stats.txt',
      knownEntities(config),
    );
    const d = await diagnose([assembleSnapshot({ id: 'p', config, stats, inputs: { configDump: 'dump.json', stats: 'stats.txt' } })]);
    assert.ok(
      d.findings.some(
        (f) => f.code === 'tunnel-idle-timeouts' && f.entity.name === '10.0.0.9_5432' && f.evidence.idleTimeouts === 12 && f.evidence.passthrough === false,
      ),
    );
    assert.ok(d.rootCauses.some((r) => r.id === 'passthrough-idle-timeout'));
  });
});
