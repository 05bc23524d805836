// Plain-Envoy fixes merged into the live resource they patch: per fix kind, a live object with something in each
// position the fix touches (nothing, the same field, a sibling field, a oneof member, other list entries), the whole
// resulting object, and that no live field is lost unless the fix removes it on purpose.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import type { Diagnosed } from '../../src/diagnose/root-cause.ts';
import { HTTP_PROTOCOL_OPTIONS, type MergeOutcome } from '../../src/fixes/envoy-live-edit.ts';
import { mergeChanges } from '../../src/fixes/envoy-merge.ts';
import { diffJson } from '../../src/fixes/json-diff.ts';
import { nullReplacedFields } from '../../src/fixes/envoy.ts';
import { attachFixes } from '../../src/fixes/plan.ts';
import type { FixChange } from '../../src/model/finding.ts';
import { LiveResourceKeeper, liveResource } from '../../src/model/live-resources.ts';
import { fixture } from '../helpers/snapshot.ts';

type Obj = Record<string, unknown>;
const HPO = HTTP_PROTOCOL_OPTIONS;
const HPO_TYPE = `type.googleapis.com/${HPO}`;
const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const TCP_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
const keepalive = { probes: 3, timeSeconds: 60, intervalSeconds: 20 };
const SOCKET_KEEPALIVE = [
  { description: 'SO_KEEPALIVE', level: 1, name: 9, int_value: 1, state: 'STATE_PREBIND' },
  { description: 'TCP_KEEPIDLE', level: 6, name: 4, int_value: 60, state: 'STATE_PREBIND' },
  { description: 'TCP_KEEPINTVL', level: 6, name: 5, int_value: 20, state: 'STATE_PREBIND' },
  { description: 'TCP_KEEPCNT', level: 6, name: 6, int_value: 3, state: 'STATE_PREBIND' },
];

interface Case {
  name: string;
  live: Obj;
  changes: FixChange[];
  envoyVersion?: string;
  want: Obj;
  /** Fields the fix removes on purpose (JSON pointers into the live object). */
  removed?: string[];
  skipped?: string[];
}

/** Fails when a live field is missing from the merged object, unless it is under a path removed on purpose. */
function assertNoLiveFieldLost(before: Obj, after: Obj, removed: string[]): void {
  for (const d of diffJson(before, after)) {
    if (!('after' in d))
      assert.ok(
        removed.some((r) => d.path === r || d.path.startsWith(`${r}/`)),
        `live field ${d.path} lost`,
      );
  }
}

function runCases(_resource: 'cluster' | 'listener' | 'route', cases: Case[]): void {
  for (const c of cases) {
    it(c.name, () => {
      const live = structuredClone(c.live);
      const proxy = fixture({});
      proxy.envoyVersion = c.envoyVersion;
      const out: MergeOutcome = mergeChanges(proxy, live, c.changes);
      assert.deepEqual(live, c.want);
      assert.deepEqual(out.removed, c.removed ?? []);
      assert.deepEqual(out.skipped, c.skipped ?? []);
      assertNoLiveFieldLost(c.live, live, c.removed ?? []);
    });
  }
}

const C = 'backend';
const cluster = (extra: Obj = {}): Obj => ({ name: C, type: 'STRICT_DNS', connect_timeout: '5s', ...extra });
const hpo = (fields: Obj): Obj => ({ typed_extension_protocol_options: { [HPO]: { '@type': HPO_TYPE, ...fields } } });

describe('plain Envoy: cluster fixes merged into the live cluster', () => {
  runCases('cluster', [
    {
      name: 'client protocol, no protocol options: HttpProtocolOptions with use_downstream_protocol_config only',
      live: cluster(),
      changes: [{ kind: 'cluster-client-protocol', cluster: C }],
      want: cluster(hpo({ use_downstream_protocol_config: { http_protocol_options: {} } })),
    },
    {
      name: 'client protocol, live auto_config: replaced (the oneof), its HTTP/1.1 and HTTP/2 options and the common options kept',
      live: cluster(
        hpo({
          common_http_protocol_options: { idle_timeout: '300s' },
          auto_config: { http_protocol_options: { header_key_format: { proper_case_words: {} } }, http2_protocol_options: { max_concurrent_streams: 100 } },
        }),
      ),
      changes: [{ kind: 'cluster-client-protocol', cluster: C }],
      want: cluster(
        hpo({
          common_http_protocol_options: { idle_timeout: '300s' },
          use_downstream_protocol_config: {
            http_protocol_options: { header_key_format: { proper_case_words: {} } },
            http2_protocol_options: { max_concurrent_streams: 100 },
          },
        }),
      ),
      removed: [`/typed_extension_protocol_options/${HPO}/auto_config`],
    },
    {
      name: 'client protocol, live explicit HTTP/2: replaced, HTTP/2 options carried over',
      live: cluster(hpo({ explicit_http_config: { http2_protocol_options: { initial_stream_window_size: 65536 } } })),
      changes: [{ kind: 'cluster-client-protocol', cluster: C }],
      want: cluster(hpo({ use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: { initial_stream_window_size: 65536 } } })),
      removed: [`/typed_extension_protocol_options/${HPO}/explicit_http_config`],
    },
    {
      name: 'client protocol, live use_downstream_protocol_config: kept as it is',
      live: cluster(hpo({ use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: { max_concurrent_streams: 10 } } })),
      changes: [{ kind: 'cluster-client-protocol', cluster: C }],
      want: cluster(hpo({ use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: { max_concurrent_streams: 10 } } })),
    },
    {
      name: 'client protocol, deprecated cluster-level HTTP/2 options: protocol_selection there, no HttpProtocolOptions beside them',
      live: cluster({ http2_protocol_options: {} }),
      changes: [{ kind: 'cluster-client-protocol', cluster: C }],
      want: cluster({ http2_protocol_options: {}, protocol_selection: 'USE_DOWNSTREAM_PROTOCOL' }),
    },
    {
      name: 'client protocol, camelCase live (egctl): written in camelCase, no snake_case twin',
      live: {
        name: C,
        connectTimeout: '5s',
        typedExtensionProtocolOptions: { [HPO]: { '@type': HPO_TYPE, autoConfig: { http2ProtocolOptions: { maxConcurrentStreams: 7 } } } },
      },
      changes: [{ kind: 'cluster-client-protocol', cluster: C }],
      want: {
        name: C,
        connectTimeout: '5s',
        typedExtensionProtocolOptions: {
          [HPO]: { '@type': HPO_TYPE, useDownstreamProtocolConfig: { httpProtocolOptions: {}, http2ProtocolOptions: { maxConcurrentStreams: 7 } } },
        },
      },
      removed: [`/typedExtensionProtocolOptions/${HPO}/autoConfig`],
    },
    {
      name: 'circuit breakers, none live: one DEFAULT threshold',
      live: cluster(),
      changes: [{ kind: 'cluster-circuit-breakers', cluster: C, maxConnections: 4096, maxPendingRequests: 4096, maxRequests: 4096 }],
      want: cluster({ circuit_breakers: { thresholds: [{ priority: 'DEFAULT', max_connections: 4096, max_pending_requests: 4096, max_requests: 4096 }] } }),
    },
    {
      name: 'circuit breakers merged by priority: HIGH, retry budget, max_retries, per-host thresholds kept; a higher live limit stays',
      live: cluster({
        circuit_breakers: {
          thresholds: [
            { priority: 'HIGH', max_connections: 100, max_requests: 100 },
            {
              priority: 'DEFAULT',
              max_connections: 1024,
              max_requests: 8192,
              max_retries: 3,
              retry_budget: { budget_percent: { value: 20 } },
              track_remaining: true,
            },
          ],
          per_host_thresholds: [{ max_connections: 50 }],
        },
      }),
      changes: [{ kind: 'cluster-circuit-breakers', cluster: C, maxConnections: 4096, maxPendingRequests: 4096, maxRequests: 4096 }],
      want: cluster({
        circuit_breakers: {
          thresholds: [
            { priority: 'HIGH', max_connections: 100, max_requests: 100 },
            {
              priority: 'DEFAULT',
              max_connections: 4096,
              max_requests: 8192,
              max_retries: 3,
              retry_budget: { budget_percent: { value: 20 } },
              track_remaining: true,
              max_pending_requests: 4096,
            },
          ],
          per_host_thresholds: [{ max_connections: 50 }],
        },
      }),
    },
    {
      name: 'circuit breakers: a threshold without priority is the DEFAULT one, no second DEFAULT added',
      live: cluster({ circuit_breakers: { thresholds: [{ max_connections: 10 }, { priority: 'HIGH', max_connections: 5 }] } }),
      changes: [{ kind: 'cluster-circuit-breakers', cluster: C, maxConnections: 4096, maxPendingRequests: 2048, maxRequests: 4096 }],
      want: cluster({
        circuit_breakers: {
          thresholds: [
            { max_connections: 4096, max_pending_requests: 2048, max_requests: 4096 },
            { priority: 'HIGH', max_connections: 5 },
          ],
        },
      }),
    },
    {
      name: 'max connection duration, no protocol options: HttpProtocolOptions with its required protocol (HTTP/1.1)',
      live: cluster(),
      changes: [{ kind: 'cluster-max-connection-duration', cluster: C, ms: 86_400_000 }],
      want: cluster(hpo({ explicit_http_config: { http_protocol_options: {} }, common_http_protocol_options: { max_connection_duration: '86400s' } })),
    },
    {
      name: 'max connection duration, live auto_config and idle timeout: both kept',
      live: cluster(
        hpo({ auto_config: { http2_protocol_options: {} }, common_http_protocol_options: { idle_timeout: '60s', max_connection_duration: '600s' } }),
      ),
      changes: [{ kind: 'cluster-max-connection-duration', cluster: C, ms: 86_400_000 }],
      want: cluster(
        hpo({ auto_config: { http2_protocol_options: {} }, common_http_protocol_options: { idle_timeout: '60s', max_connection_duration: '86400s' } }),
      ),
    },
    {
      name: 'idle timeout, live explicit_http_config and max connection duration: both kept',
      live: cluster(hpo({ explicit_http_config: { http_protocol_options: {} }, common_http_protocol_options: { max_connection_duration: '600s' } })),
      changes: [{ kind: 'cluster-idle-timeout', cluster: C, ms: 4000 }],
      want: cluster(
        hpo({ explicit_http_config: { http_protocol_options: {} }, common_http_protocol_options: { max_connection_duration: '600s', idle_timeout: '4s' } }),
      ),
    },
    {
      name: 'idle timeout on deprecated cluster-level options: set there',
      live: cluster({ common_http_protocol_options: { idle_timeout: '3600s' }, http_protocol_options: {} }),
      changes: [{ kind: 'cluster-idle-timeout', cluster: C, ms: 200 }],
      want: cluster({ common_http_protocol_options: { idle_timeout: '0.2s' }, http_protocol_options: {} }),
    },
    {
      name: 'max connection duration on deprecated cluster-level options: set there',
      live: cluster({ common_http_protocol_options: { idle_timeout: '60s' }, http2_protocol_options: {} }),
      changes: [{ kind: 'cluster-max-connection-duration', cluster: C, ms: 3_600_000 }],
      want: cluster({ common_http_protocol_options: { idle_timeout: '60s', max_connection_duration: '3600s' }, http2_protocol_options: {} }),
    },
    {
      name: 'max connection duration lifted (0): the field removed wherever it is set, the rest kept',
      live: cluster({
        ...hpo({ explicit_http_config: { http_protocol_options: {} }, common_http_protocol_options: { idle_timeout: '60s', max_connection_duration: '600s' } }),
      }),
      changes: [{ kind: 'cluster-max-connection-duration', cluster: C, ms: 0 }],
      want: cluster(hpo({ explicit_http_config: { http_protocol_options: {} }, common_http_protocol_options: { idle_timeout: '60s' } })),
      removed: [`/typed_extension_protocol_options/${HPO}/common_http_protocol_options/max_connection_duration`],
    },
    {
      name: 'buffer limit and keepalive: other upstream connection options kept, a live keepalive field replaced',
      live: cluster({
        per_connection_buffer_limit_bytes: 32768,
        upstream_connection_options: { set_local_interface_name_on_upstream_connections: true, tcp_keepalive: { keepalive_time: 7200 } },
      }),
      changes: [
        { kind: 'cluster-buffer-limit', cluster: C, bytes: 1_048_576 },
        { kind: 'cluster-tcp-keepalive', cluster: C, ...keepalive },
      ],
      want: cluster({
        per_connection_buffer_limit_bytes: 1_048_576,
        upstream_connection_options: {
          set_local_interface_name_on_upstream_connections: true,
          tcp_keepalive: { keepalive_time: 60, keepalive_probes: 3, keepalive_interval: 20 },
        },
      }),
    },
  ]);
});

const L = 'ingress';
const hcmFilter = (extra: Obj = {}): Obj => ({
  name: 'envoy.filters.network.http_connection_manager',
  typed_config: {
    '@type': HCM_TYPE,
    stat_prefix: 'ingress_http',
    rds: { route_config_name: 'local' },
    http_filters: [{ name: 'envoy.filters.http.router' }],
    ...extra,
  },
});
const tcpFilter = (prefix: string, extra: Obj = {}): Obj => ({
  name: 'envoy.filters.network.tcp_proxy',
  typed_config: { '@type': TCP_TYPE, stat_prefix: prefix, cluster: 'db', ...extra },
});
const listener = (extra: Obj = {}): Obj => ({ name: L, address: { socket_address: { address: '0.0.0.0', port_value: 10000 } }, ...extra });

describe('plain Envoy: listener fixes merged into the live listener', () => {
  runCases('listener', [
    {
      name: 'keepalive, no socket options, version unknown: the four keepalive socket options',
      live: listener({ filter_chains: [{ filters: [hcmFilter()] }] }),
      changes: [{ kind: 'listener-tcp-keepalive', listener: L, ...keepalive }],
      want: listener({ filter_chains: [{ filters: [hcmFilter()] }], socket_options: SOCKET_KEEPALIVE }),
    },
    {
      name: 'keepalive merged by level and name: other socket options kept, a live SO_KEEPALIVE replaced in place',
      live: listener({
        socket_options: [
          { level: '0', name: '15', int_value: '1', state: 'STATE_PREBIND' },
          { level: '1', name: '9', int_value: '0' },
        ],
      }),
      changes: [{ kind: 'listener-tcp-keepalive', listener: L, ...keepalive }],
      envoyVersion: '1.36.2',
      want: listener({
        socket_options: [
          { level: '0', name: '15', int_value: '1', state: 'STATE_PREBIND' },
          SOCKET_KEEPALIVE[0],
          SOCKET_KEEPALIVE[1],
          SOCKET_KEEPALIVE[2],
          SOCKET_KEEPALIVE[3],
        ],
      }),
    },
    {
      name: 'keepalive on Envoy 1.37: Listener.tcp_keepalive, keepalive socket options it replaces removed, others kept',
      live: listener({
        socket_options: [
          { level: 0, name: 15, int_value: 1 },
          { level: 1, name: 9, int_value: 1 },
        ],
      }),
      changes: [{ kind: 'listener-tcp-keepalive', listener: L, ...keepalive }],
      envoyVersion: '1.37.0',
      want: listener({
        socket_options: [{ level: 0, name: 15, int_value: 1 }],
        tcp_keepalive: { keepalive_probes: 3, keepalive_time: 60, keepalive_interval: 20 },
      }),
      removed: ['/socket_options/1'],
    },
    {
      name: 'connection manager fields in every HTTP connection manager of the listener (default chain too), the rest kept',
      live: listener({
        per_connection_buffer_limit_bytes: 32768,
        filter_chains: [
          {
            filter_chain_match: { server_names: ['a.example'] },
            filters: [hcmFilter({ http2_protocol_options: { max_concurrent_streams: 100 }, common_http_protocol_options: { idle_timeout: '300s' } })],
          },
          { filters: [tcpFilter('db')] },
        ],
        default_filter_chain: { filters: [hcmFilter()] },
      }),
      changes: [
        { kind: 'listener-buffer-limit', listener: L, bytes: 1_048_576 },
        { kind: 'listener-stream-idle-timeout', listener: L, ms: 3_600_000 },
        { kind: 'listener-allow-connect', listener: L },
        { kind: 'listener-max-stream-duration', listener: L, ms: 86_400_000 },
      ],
      want: listener({
        per_connection_buffer_limit_bytes: 1_048_576,
        filter_chains: [
          {
            filter_chain_match: { server_names: ['a.example'] },
            filters: [
              hcmFilter({
                http2_protocol_options: { max_concurrent_streams: 100, allow_connect: true },
                common_http_protocol_options: { idle_timeout: '300s', max_stream_duration: '86400s' },
                stream_idle_timeout: '3600s',
              }),
            ],
          },
          { filters: [tcpFilter('db')] },
        ],
        default_filter_chain: {
          filters: [
            hcmFilter({
              stream_idle_timeout: '3600s',
              http2_protocol_options: { allow_connect: true },
              common_http_protocol_options: { max_stream_duration: '86400s' },
            }),
          ],
        },
      }),
    },
    {
      name: 'max stream duration lifted (0): the field removed, the connection manager otherwise kept',
      live: listener({ filter_chains: [{ filters: [hcmFilter({ common_http_protocol_options: { idle_timeout: '300s', max_stream_duration: '600s' } })] }] }),
      changes: [{ kind: 'listener-max-stream-duration', listener: L, ms: 0 }],
      want: listener({ filter_chains: [{ filters: [hcmFilter({ common_http_protocol_options: { idle_timeout: '300s' } })] }] }),
      removed: ['/filter_chains/0/filters/0/typed_config/common_http_protocol_options/max_stream_duration'],
    },
    {
      name: 'TCP proxy idle timeout only on the TCP proxy with that stat prefix',
      live: listener({ filter_chains: [{ filters: [tcpFilter('db', { idle_timeout: '3600s' })] }, { filters: [tcpFilter('other')] }] }),
      changes: [{ kind: 'tcp-proxy-idle-timeout', listener: L, statPrefix: 'db', ms: 0 }],
      want: listener({ filter_chains: [{ filters: [tcpFilter('db', { idle_timeout: '0s' })] }, { filters: [tcpFilter('other')] }] }),
    },
    {
      name: 'legacy Struct config (Envoy <= 1.12 dumps): the field goes into `config`',
      live: listener({
        filter_chains: [{ filters: [{ name: 'envoy.http_connection_manager', config: { stat_prefix: 'old', route_config: { name: 'r' } } }] }],
      }),
      changes: [{ kind: 'listener-stream-idle-timeout', listener: L, ms: 600_000 }],
      want: listener({
        filter_chains: [
          { filters: [{ name: 'envoy.http_connection_manager', config: { stat_prefix: 'old', route_config: { name: 'r' }, stream_idle_timeout: '600s' } }] },
        ],
      }),
    },
  ]);
});

const R = 'api';
const route = (extra: Obj = {}, action: Obj = {}): Obj => ({
  name: R,
  match: { prefix: '/' },
  route: { cluster: C, retry_policy: { retry_on: '5xx' }, ...action },
  ...extra,
});

describe('plain Envoy: route fixes merged into the live route entry', () => {
  runCases('route', [
    {
      name: 'timeouts set beside the live action fields',
      live: route({}, { timeout: '15s' }),
      changes: [
        { kind: 'route-timeout', route: R, ms: 0 },
        { kind: 'route-idle-timeout', route: R, ms: 3_600_000 },
      ],
      want: route({}, { timeout: '0s', idle_timeout: '3600s' }),
    },
    {
      name: 'websocket upgrade merged into the live upgrade_configs: CONNECT kept, a disabled websocket enabled',
      live: route(
        {},
        {
          upgrade_configs: [
            { upgrade_type: 'CONNECT', connect_config: {} },
            { upgrade_type: 'WebSocket', enabled: false },
          ],
        },
      ),
      changes: [{ kind: 'route-websocket-upgrade', route: R }],
      want: route(
        {},
        {
          upgrade_configs: [
            { upgrade_type: 'CONNECT', connect_config: {} },
            { upgrade_type: 'WebSocket', enabled: true },
          ],
        },
      ),
    },
    {
      name: 'websocket upgrade added when the route has none',
      live: route(),
      changes: [{ kind: 'route-websocket-upgrade', route: R }],
      want: route({}, { upgrade_configs: [{ upgrade_type: 'websocket' }] }),
    },
    {
      name: 'request buffer turned off beside the live per-filter configs',
      live: route({
        typed_per_filter_config: { 'envoy.filters.http.cors': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy' } },
      }),
      changes: [{ kind: 'route-disable-request-buffer', route: R }],
      want: route({
        typed_per_filter_config: {
          'envoy.filters.http.cors': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy' },
          'envoy.filters.http.buffer': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute', disabled: true },
        },
      }),
    },
    {
      name: 'a redirect route gets no RouteAction beside its redirect (the action oneof)',
      live: { name: R, match: { prefix: '/' }, redirect: { https_redirect: true } },
      changes: [{ kind: 'route-timeout', route: R, ms: 0 }],
      want: { name: R, match: { prefix: '/' }, redirect: { https_redirect: true } },
      skipped: ['route-timeout'],
    },
  ]);
});

function diagnosed(changes: FixChange[]): Diagnosed {
  return { id: 'x', severity: 'error', confidence: 'high', score: 1, snapshot: 'p', entities: [], evidence: [], explains: [], checks: [], changes };
}

describe('plain Envoy: the merged resource in the rendered fix', () => {
  const s = fixture({
    bootstrap: { node: { id: 'envoy-1', user_agent_build_version: { version: { major_number: 1, minor_number: 37, patch: 1 } } } },
    clusters: [
      cluster({ ...hpo({ auto_config: { http2_protocol_options: {} } }), circuit_breakers: { thresholds: [{ priority: 'HIGH', max_connections: 9 }] } }),
    ],
    listeners: [listener({ socket_options: [{ level: 0, name: 15, int_value: 1 }], filter_chains: [{ filters: [hcmFilter()] }] })],
    routeConfigs: [{ name: 'local', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [route()] }] }],
  });
  const changes: FixChange[] = [
    { kind: 'cluster-client-protocol', cluster: C },
    { kind: 'cluster-circuit-breakers', cluster: C, maxConnections: 4096, maxPendingRequests: 4096, maxRequests: 4096 },
    { kind: 'listener-tcp-keepalive', listener: L, ...keepalive },
    { kind: 'listener-stream-idle-timeout', listener: L, ms: 3_600_000 },
    { kind: 'route-timeout', route: R, ms: 0 },
  ];
  const [rc] = attachFixes(s, [diagnosed(changes)]);
  const envoy = rc?.fixes.filter((f) => f.flavor === 'envoy') ?? [];

  it('a cluster fix carries the whole live cluster with the change merged, without the dump’s @type', () => {
    const fix = envoy.find((f) => f.target === `cluster ${C}`);
    assert.deepEqual(fix?.merged?.object, {
      name: C,
      type: 'STRICT_DNS',
      connect_timeout: '5s',
      typed_extension_protocol_options: {
        [HPO]: { '@type': HPO_TYPE, use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} } },
      },
      circuit_breakers: {
        thresholds: [
          { priority: 'HIGH', max_connections: 9 },
          { priority: 'DEFAULT', max_connections: 4096, max_pending_requests: 4096, max_requests: 4096 },
        ],
      },
    });
    assert.equal(fix?.merged?.kind, 'cluster');
    assert.deepEqual(
      fix?.notes.map((n) => [n.code, n.values.field]),
      [['envoy-field-replaced', `/typed_extension_protocol_options/${HPO}/auto_config`]],
    );
    assert.ok(fix?.merged?.diff.some((d) => d.path === `/typed_extension_protocol_options/${HPO}/auto_config` && !('after' in d)));
    // The fragment stays what it was: the fields to merge.
    assert.deepEqual(parse(fix?.text ?? '').typed_extension_protocol_options[HPO].use_downstream_protocol_config, { http_protocol_options: {} });
  });

  it('the cluster fragment nulls the oneof member it replaces, so merging the fragment alone leaves one member', () => {
    const fix = envoy.find((f) => f.target === `cluster ${C}`);
    const options = parse(fix?.text ?? '').typed_extension_protocol_options[HPO];
    assert.deepEqual(Object.keys(options).sort(), ['@type', 'auto_config', 'use_downstream_protocol_config']);
    assert.equal(options.auto_config, null);
  });

  it('each fix of one listener carries the live listener with its own changes only, so it does not depend on other root causes (Envoy 1.37: tcp_keepalive)', () => {
    const fixes = envoy.filter((f) => f.target.startsWith(`listener ${L}`));
    assert.equal(fixes.length, 2);
    const own = fixes.find((f) => f.target === `listener ${L}`);
    const hcm = fixes.find((f) => f.target !== `listener ${L}`);
    assert.deepEqual(parse(own?.text ?? ''), { name: L, tcp_keepalive: { keepalive_probes: 3, keepalive_time: 60, keepalive_interval: 20 } });
    const live = {
      name: L,
      address: { socket_address: { address: '0.0.0.0', port_value: 10000 } },
      socket_options: [{ level: 0, name: 15, int_value: 1 }],
      filter_chains: [{ filters: [hcmFilter()] }],
    };
    assert.deepEqual(own?.merged?.object, { ...live, tcp_keepalive: { keepalive_probes: 3, keepalive_time: 60, keepalive_interval: 20 } });
    assert.deepEqual(hcm?.merged?.object, { ...live, filter_chains: [{ filters: [hcmFilter({ stream_idle_timeout: '3600s' })] }] });
    for (const f of fixes) assert.ok(f.notes.some((n) => n.code === 'envoy-merged-this-fix'));
  });

  it('a route fix carries the route entry and names its route configuration and virtual host', () => {
    const fix = envoy.find((f) => f.target === `route ${R}`);
    assert.deepEqual(fix?.merged, {
      kind: 'route',
      name: R,
      object: route({}, { timeout: '0s' }),
      diff: [{ path: '/route/timeout', after: '0s' }],
      routeConfiguration: 'local',
      virtualHost: 'all',
    });
  });

  it('a lifted limit with no fragment is still rendered, as the merged object without the field', () => {
    const t = fixture({
      clusters: [cluster(hpo({ explicit_http_config: { http_protocol_options: {} }, common_http_protocol_options: { max_connection_duration: '600s' } }))],
    });
    const [r] = attachFixes(t, [diagnosed([{ kind: 'cluster-max-connection-duration', cluster: C, ms: 0 }])]);
    const fix = r?.fixes.find((f) => f.flavor === 'envoy');
    assert.deepEqual(fix?.merged?.diff, [
      { path: `/typed_extension_protocol_options/${HPO}/common_http_protocol_options/max_connection_duration`, before: '600s' },
    ]);
  });

  it('without the live object the fragment alone is rendered, and the fix says so', () => {
    const t = fixture({ clusters: [cluster()] });
    const model = t.clusters.get(C) as object;
    // A model object built without the dump (another input, or past the budget) has no live resource.
    const [r] = attachFixes({ ...t, clusters: new Map([[C, { ...(model as object) } as never]]) }, [
      diagnosed([{ kind: 'cluster-buffer-limit', cluster: C, bytes: 1_048_576 }]),
    ]);
    const fix = r?.fixes.find((f) => f.flavor === 'envoy');
    assert.equal(fix?.merged, undefined);
    assert.deepEqual(
      fix?.notes.map((n) => n.code),
      ['envoy-live-object-not-kept', 'buffer-raise-cost-unknown'],
    );
  });
});

describe('live resources kept from the dump', () => {
  it('keeps resources while the budget lasts, then none after the first that does not fit', () => {
    const keeper = new LiveResourceKeeper(60);
    const [a, b, c] = [{}, {}, {}];
    keeper.keep(a, { name: 'a' });
    keeper.keep(b, { name: 'b'.repeat(100) });
    keeper.keep(c, { name: 'c' });
    assert.deepEqual(liveResource(a), { name: 'a' });
    assert.equal(liveResource(b), undefined);
    assert.equal(liveResource(c), undefined);
  });
  it('pairs each route of a route configuration with its entry, skipping entries that are not objects', () => {
    const keeper = new LiveResourceKeeper();
    const routes = [{}, {}];
    keeper.keepRoutes(routes, { virtual_hosts: [{ routes: [null, { name: 'one' }] }, { routes: [{ name: 'two' }] }] });
    assert.deepEqual(
      routes.map((r) => liveResource(r)),
      [{ name: 'one' }, { name: 'two' }],
    );
  });
  it('the parser keeps every cluster, listener and route of a dump with the model object', () => {
    const s = fixture({
      clusters: [cluster()],
      listeners: [listener()],
      routeConfigs: [{ name: 'local', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [route()] }] }],
    });
    assert.deepEqual(liveResource(s.clusters.get(C) as object), { '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', ...cluster() });
    assert.equal(liveResource(s.listeners[0] as object)?.name, L);
    assert.deepEqual(liveResource(s.routes[0] as object), route());
  });
});

describe('plain Envoy: replaced fields nulled in the fragment', () => {
  const replaced = (field: string) => ({ code: 'envoy-field-replaced', values: { resource: `cluster ${C}`, field } });
  const cases: Array<{ name: string; fields: Obj; notes: Array<ReturnType<typeof replaced>>; want: Obj }> = [
    {
      name: 'a oneof member under a parent the fragment sets: null',
      fields: { name: C, typed_extension_protocol_options: { [HPO]: { use_downstream_protocol_config: {} } } },
      notes: [replaced(`/typed_extension_protocol_options/${HPO}/explicit_http_config`)],
      want: { name: C, typed_extension_protocol_options: { [HPO]: { use_downstream_protocol_config: {}, explicit_http_config: null } } },
    },
    {
      name: 'a parent the fragment does not set (a lifted limit): left alone',
      fields: { name: C },
      notes: [replaced(`/typed_extension_protocol_options/${HPO}/common_http_protocol_options/max_connection_duration`)],
      want: { name: C },
    },
    {
      name: 'an entry of a list the fragment replaces, or a field the fragment sets: left alone',
      fields: { name: C, socket_options: [{ level: 1 }], tcp_keepalive: {} },
      notes: [replaced('/socket_options/0'), replaced('/tcp_keepalive')],
      want: { name: C, socket_options: [{ level: 1 }], tcp_keepalive: {} },
    },
    {
      name: 'escaped pointer parts (~1 is /) are read back',
      fields: { a: { 'x/y': {} } },
      notes: [replaced('/a/x~1y/b')],
      want: { a: { 'x/y': { b: null } } },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const fields = structuredClone(c.fields);
      nullReplacedFields(fields, c.notes);
      assert.deepEqual(fields, c.want);
    });
  }
});
