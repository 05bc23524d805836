// Every plain-Envoy fix, merged into the live objects it patches (the `merged` object of the JSON report), is a
// configuration a real Envoy accepts: the merged cluster, listeners and route go into a bootstrap in place of the live
// ones and `envoy --mode validate` checks it. The Envoy binaries are the lab's (`npm run lab` installs them under
// .lab/); without them this suite is skipped, saying so.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { deepMerge } from '../../src/fixes/changes.ts';
import type { FixChange, MergedEnvoyResource } from '../../src/model/finding.ts';
import { ROOT } from '../helpers/cli.ts';
import { fixesFor } from '../helpers/root-cause.ts';
import { fixture } from '../helpers/snapshot.ts';

type Obj = Record<string, unknown>;

/** The lab's Envoy binaries by version. */
function envoys(): Array<{ version: string; bin: string }> {
  const lab = join(ROOT, '.lab');
  if (!existsSync(lab)) return [];
  return readdirSync(lab)
    .filter((d) => /^envoy-\d+\.\d+\.\d+$/.test(d))
    .flatMap((d) => {
      const lib = join(lab, d, 'lib');
      const python = existsSync(lib) ? readdirSync(lib).find((p) => p.startsWith('python3')) : undefined;
      const bin = python ? join(lib, python, 'site-packages', 'envoy', '_bin', 'envoy') : '';
      return bin && existsSync(bin) ? [{ version: d.slice('envoy-'.length), bin }] : [];
    });
}

/** Envoy's error for a bootstrap, or undefined when it validates. */
function validate(bin: string, bootstrap: Obj): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'envoy-doctor-validate-'));
  const file = join(dir, 'envoy.json');
  writeFileSync(file, JSON.stringify(bootstrap));
  try {
    execFileSync(bin, ['--mode', 'validate', '-c', file, '--use-dynamic-base-id', '-l', 'error'], { stdio: 'pipe', timeout: 60_000 });
    return undefined;
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    return `${e.stderr?.toString() ?? ''}${e.stdout?.toString() ?? ''}`.trim().split('\n').slice(-2).join(' ');
  }
}

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const HPO = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const R = 'api';

/** Live resources as a real proxy holds them: with fields in every position the fixes touch. */
function liveCluster(): Obj {
  return {
    name: 'backend',
    type: 'STATIC',
    connect_timeout: '5s',
    per_connection_buffer_limit_bytes: 32768,
    load_assignment: {
      cluster_name: 'backend',
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 8080 } } } }] }],
    },
    typed_extension_protocol_options: {
      [HPO]: {
        '@type': `type.googleapis.com/${HPO}`,
        common_http_protocol_options: { idle_timeout: '300s' },
        auto_config: { http2_protocol_options: { max_concurrent_streams: 100 } },
      },
    },
    transport_socket: {
      name: 'envoy.transport_sockets.tls',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', sni: 'backend.example' },
    },
    circuit_breakers: {
      thresholds: [
        { priority: 'HIGH', max_connections: 100 },
        { priority: 'DEFAULT', max_connections: 1024, max_retries: 3, retry_budget: { budget_percent: { value: 20 } } },
      ],
    },
    upstream_connection_options: { set_local_interface_name_on_upstream_connections: true },
  };
}

function liveListener(): Obj {
  return {
    name: 'ingress',
    address: { socket_address: { address: '127.0.0.1', port_value: 10000 } },
    socket_options: [{ level: 0, name: 15, int_value: 1, state: 'STATE_PREBIND' }],
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM,
              stat_prefix: 'ingress_http',
              common_http_protocol_options: { idle_timeout: '300s' },
              http2_protocol_options: { max_concurrent_streams: 100 },
              route_config: {
                name: 'local',
                virtual_hosts: [
                  {
                    name: 'all',
                    domains: ['*'],
                    routes: [
                      {
                        name: R,
                        match: { prefix: '/' },
                        route: {
                          cluster: 'backend',
                          timeout: '15s',
                          retry_policy: { retry_on: '5xx' },
                          upgrade_configs: [{ upgrade_type: 'CONNECT', enabled: false }],
                        },
                      },
                    ],
                  },
                ],
              },
              http_filters: [
                {
                  name: 'envoy.filters.http.buffer',
                  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer', max_request_bytes: 65536 },
                },
                { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
              ],
            },
          },
        ],
      },
    ],
  };
}

function liveTunnel(): Obj {
  return {
    name: 'tunnel',
    address: { socket_address: { address: '127.0.0.1', port_value: 10001 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.tcp_proxy',
            typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'tunnel', cluster: 'backend' },
          },
        ],
      },
    ],
  };
}

const CHANGES: FixChange[] = [
  { kind: 'cluster-buffer-limit', cluster: 'backend', bytes: 1_048_576 },
  { kind: 'cluster-tcp-keepalive', cluster: 'backend', probes: 3, timeSeconds: 60, intervalSeconds: 20 },
  { kind: 'cluster-client-protocol', cluster: 'backend' },
  { kind: 'cluster-circuit-breakers', cluster: 'backend', maxConnections: 4096, maxPendingRequests: 4096, maxRequests: 4096 },
  { kind: 'cluster-max-connection-duration', cluster: 'backend', ms: 86_400_000 },
  { kind: 'cluster-max-stream-duration', cluster: 'backend', ms: 86_400_000 },
  { kind: 'cluster-idle-timeout', cluster: 'backend', ms: 4000 },
  { kind: 'listener-buffer-limit', listener: 'ingress', bytes: 1_048_576 },
  { kind: 'listener-tcp-keepalive', listener: 'ingress', probes: 3, timeSeconds: 60, intervalSeconds: 20 },
  { kind: 'listener-stream-idle-timeout', listener: 'ingress', ms: 3_600_000 },
  { kind: 'listener-max-stream-duration', listener: 'ingress', ms: 86_400_000 },
  { kind: 'listener-allow-connect', listener: 'ingress' },
  { kind: 'tcp-proxy-idle-timeout', listener: 'tunnel', statPrefix: 'tunnel', ms: 0 },
  { kind: 'route-timeout', route: R, ms: 0 },
  { kind: 'route-idle-timeout', route: R, ms: 3_600_000 },
  { kind: 'route-max-stream-duration', route: R, ms: 0 },
  { kind: 'route-websocket-upgrade', route: R },
  { kind: 'route-disable-request-buffer', route: R },
];

/** A resource as egctl prints it: field names in lowerCamelCase, map keys (`@type`, extension names) as they are. */
function camel(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camel);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [/[.@]/.test(k) ? k : k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()), camel(v)]),
  );
}

/** The merged objects and fragments envoy-doctor renders for a proxy of that Envoy version, by fix target. */
function merged(version: string, spelling: (o: Obj) => unknown = (o) => o): Map<string, MergedEnvoyResource & { text: string }> {
  const [major, minor, patch] = version.split('.').map(Number);
  const s = fixture({
    bootstrap: { node: { id: 'envoy-1', user_agent_build_version: { version: { major_number: major, minor_number: minor, patch } } } },
    clusters: [spelling(liveCluster()) as Obj],
    listeners: [spelling(liveListener()) as Obj, spelling(liveTunnel()) as Obj],
  });
  const fixes = fixesFor(s, CHANGES);
  const out = new Map<string, MergedEnvoyResource & { text: string }>();
  for (const f of fixes) if (f.merged) out.set(f.target, { ...f.merged, text: f.text });
  return out;
}

const HCM_TARGET = 'listener ingress: envoy.filters.network.http_connection_manager (stat_prefix ingress_http)';

/** The listener with every fix for it: its own fix's merged object, the connection manager fragment merged into it. */
function wholeListener(m: Map<string, MergedEnvoyResource & { text: string }>): Obj {
  const listener = structuredClone(m.get('listener ingress')?.object) as Obj;
  const hcm = m.get(HCM_TARGET);
  assert.ok(listener && hcm, `merged objects: ${[...m.keys()].join(', ')}`);
  const typed = ((listener.filter_chains as Obj[])[0]?.filters as Obj[])[0]?.typed_config as Obj;
  deepMerge(typed, parse(hcm.text) as Obj);
  return listener;
}

function bootstrap(cluster: Obj, listeners: Obj[]): Obj {
  return { static_resources: { clusters: [cluster], listeners } };
}

const found = envoys();

describe('plain-Envoy fixes merged into the live objects validate in a real Envoy', {
  skip: found.length === 0 ? 'no Envoy binary under .lab/ (npm run lab installs them)' : false,
}, () => {
  for (const { version, bin } of found) {
    it(`Envoy ${version}: the live configuration validates as it is`, () => {
      assert.equal(validate(bin, bootstrap(liveCluster(), [liveListener(), liveTunnel()])), undefined);
    });
    it(`Envoy ${version}: each merged object validates in place of its live resource`, () => {
      const m = merged(version);
      for (const [target, r] of m) {
        const listeners = [r.name === 'ingress' ? r.object : liveListener(), r.name === 'tunnel' ? r.object : liveTunnel()];
        const cluster = r.kind === 'cluster' ? r.object : liveCluster();
        if (r.kind === 'route') {
          const hcm = ((listeners[0]?.filter_chains as Obj[])[0]?.filters as Obj[])[0]?.typed_config as {
            route_config: { virtual_hosts: Array<{ routes: Obj[] }> };
          };
          hcm.route_config.virtual_hosts[0]?.routes.splice(0, 1, r.object);
        }
        assert.equal(validate(bin, bootstrap(cluster, listeners as Obj[])), undefined, target);
      }
      assert.equal(m.size, 5, [...m.keys()].join(', '));
    });
    it(`Envoy ${version}: every change merged (cluster, both listeners, the route inside its listener) validates`, () => {
      const m = merged(version);
      const cluster = m.get('cluster backend')?.object as Obj;
      const listener = wholeListener(m);
      const tunnel = m.get('listener tunnel: envoy.filters.network.tcp_proxy (stat_prefix tunnel)')?.object as Obj;
      const route = m.get(`route ${R}`)?.object as Obj;
      assert.ok(cluster && listener && tunnel && route, `merged objects: ${[...m.keys()].join(', ')}`);
      // The route entry replaces the live one inside the listener's inline route configuration.
      const hcm = ((listener.filter_chains as Obj[])[0]?.filters as Obj[])[0]?.typed_config as { route_config: { virtual_hosts: Array<{ routes: Obj[] }> } };
      hcm.route_config.virtual_hosts[0]?.routes.splice(0, 1, route);
      assert.equal(validate(bin, bootstrap(cluster, [listener, tunnel])), undefined);
      // What the version decides: Listener.tcp_keepalive from 1.37, keepalive socket options before.
      const since137 = Number(version.split('.')[1]) >= 37;
      assert.equal('tcp_keepalive' in listener, since137);
      assert.equal((listener.socket_options as Obj[]).length, since137 ? 1 : 5);
    });
    it(`Envoy ${version}: a camelCase dump (egctl) gives camelCase merged objects that validate, no field spelled twice`, () => {
      const m = merged(version, camel);
      const cluster = m.get('cluster backend')?.object as Obj;
      const listener = m.get('listener ingress')?.object as Obj;
      const tunnel = m.get('listener tunnel: envoy.filters.network.tcp_proxy (stat_prefix tunnel)')?.object as Obj;
      assert.ok(cluster && listener && tunnel);
      const text = JSON.stringify([cluster, listener, tunnel]);
      assert.doesNotMatch(text, /"[a-z0-9]+_[a-z0-9_]+":/, 'no snake_case field beside the camelCase ones');
      assert.ok('perConnectionBufferLimitBytes' in cluster && 'useDownstreamProtocolConfig' in ((cluster.typedExtensionProtocolOptions as Obj)[HPO] as Obj));
      assert.equal(validate(bin, bootstrap(cluster, [listener, tunnel])), undefined);
    });
    it(`Envoy ${version}: the stats inclusion fix merged into a live bootstrap with reject_all validates`, () => {
      const live = { ...bootstrap(liveCluster(), [liveListener()]), stats_config: { stats_matcher: { reject_all: true }, use_all_default_tags: true } };
      assert.equal(validate(bin, live), undefined);
      const s = fixture({ bootstrap: live, clusters: [liveCluster()], listeners: [liveListener()] });
      const fixes = fixesFor(s, [{ kind: 'stats-inclusion', prefixes: ['cluster.backend.', 'http.ingress_http.'] }]);
      const fix = fixes.find((f) => f.flavor === 'envoy');
      assert.equal(fix?.merged?.kind, 'bootstrap');
      assert.equal(validate(bin, fix?.merged?.object as Obj), undefined);
      // The fragment merged by hand beside reject_all is what Envoy rejects.
      const naive = structuredClone(live) as Obj & { stats_config: { stats_matcher: Obj } };
      naive.stats_config.stats_matcher.inclusion_list = { patterns: [{ prefix: 'cluster.backend.' }] };
      assert.notEqual(validate(bin, naive), undefined);
    });
    it(`Envoy ${version}: the overload manager's heap maximum and connection limit merged into a live overload manager validate`, () => {
      const heap = {
        name: 'envoy.resource_monitors.fixed_heap',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig', max_heap_size_bytes: '12582912' },
      };
      const stop = {
        name: 'envoy.overload_actions.stop_accepting_requests',
        triggers: [{ name: 'envoy.resource_monitors.fixed_heap', threshold: { value: 0.95 } }],
      };
      const live = {
        ...bootstrap(liveCluster(), [liveListener()]),
        overload_manager: { refresh_interval: '0.25s', resource_monitors: [heap], actions: [stop] },
      };
      assert.equal(validate(bin, live), undefined);
      const s = fixture({ bootstrap: live, clusters: [liveCluster()], listeners: [liveListener()] });
      const changes: FixChange[] = [
        { kind: 'overload-max-heap', listener: 'ingress', bytes: 40 * 1_048_576 },
        { kind: 'overload-connection-limit', listener: 'ingress', connections: 100_000 },
      ];
      const fixes = fixesFor(s, changes);
      const fix = fixes.find((f) => f.flavor === 'envoy' && f.target === 'bootstrap overload_manager');
      // The merged overload manager: the heap monitor's maximum raised, the connections monitor added, the action kept.
      const merged = fix?.merged?.object as { resource_monitors: Obj[]; actions: Obj[] };
      assert.deepEqual(
        merged.resource_monitors.map((m) => m.name),
        ['envoy.resource_monitors.fixed_heap', 'envoy.resource_monitors.global_downstream_max_connections'],
      );
      assert.deepEqual(merged.actions, [stop]);
      assert.equal(validate(bin, { ...live, overload_manager: merged }), undefined);
      // The fragment merged field by field (its list replacing the live one) gives the same.
      assert.equal(validate(bin, deepMerge(structuredClone(live), parse(fix?.text ?? '') as Obj)), undefined);
    });
    it(`Envoy ${version}: the fragment alone beside a live auto_config is what Envoy rejects (the oneof the merge resolves)`, () => {
      const cluster = liveCluster();
      const options = (cluster.typed_extension_protocol_options as Obj)[HPO] as Obj;
      options.use_downstream_protocol_config = { http_protocol_options: {} };
      assert.match(validate(bin, bootstrap(cluster, [liveListener(), liveTunnel()])) ?? '', /upstream_protocol_options|oneof|auto_config|use_downstream/i);
    });
  }
});
