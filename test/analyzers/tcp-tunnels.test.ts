import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/tcp-tunnels.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { type FixtureSpec, fixture, gatewayCluster } from '../helpers/snapshot.ts';

const L = 'home/eg/tls-passthrough';
const C = 'tlsroute/home/mqtt/rule/-1';
const PREFIX = 'tls-passthrough-10444';
const keepaliveOptions = [
  { level: '1', name: '9', int_value: '1' },
  { level: '6', name: '4', int_value: '60', state: 'STATE_PREBIND' },
];

/** A TLS passthrough listener: SNI match, TCP proxy to the TLSRoute's cluster. */
function passthrough(opts: { idleTimeout?: string; keepalive?: boolean; tls?: boolean } = {}): object {
  return {
    name: L,
    address: { socket_address: { address: '0.0.0.0', port_value: 10444 } },
    ...(opts.keepalive ? { socket_options: keepaliveOptions } : {}),
    listener_filters: [{ name: 'envoy.filters.listener.tls_inspector' }],
    filter_chains: [
      {
        filter_chain_match: { server_names: ['mqtt.example.com'] },
        filters: [
          {
            name: 'envoy.filters.network.tcp_proxy',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
              stat_prefix: PREFIX,
              cluster: C,
              ...(opts.idleTimeout ? { idle_timeout: opts.idleTimeout } : {}),
            },
          },
        ],
        ...(opts.tls
          ? {
              transport_socket: {
                name: 'envoy.transport_sockets.tls',
                typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext' },
              },
            }
          : {}),
      },
    ],
  };
}
const clusterKeepalive = { upstream_connection_options: { tcp_keepalive: { keepalive_time: 60 } } };
const tcp = (stats: Record<string, number>) => Object.fromEntries(Object.entries(stats).map(([k, v]) => [`tcp.${PREFIX}.${k}`, v]));
const spec = (listener: object, cluster: object, before?: Record<string, number>, after?: Record<string, number>): FixtureSpec => ({
  clusters: [gatewayCluster(C, cluster)],
  listeners: [listener],
  ...(before ? { stats: tcp(before) } : {}),
  ...(after ? { statsLater: tcp(after), intervalSeconds: 30 } : {}),
});
const tunnel = (durationMs: number): AccessLogEntry => ({ responseFlags: [], upstreamCluster: C, durationMs });
const times = <T>(n: number, x: T): T[] => Array.from({ length: n }, () => x);

describe('tcp-tunnels analyzer', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; log?: AccessLogEntry[]; want: ExpectedFinding[] }> = [
    {
      name: 'idle timeouts during the window, no keepalive: error',
      spec: spec(passthrough({ idleTimeout: '300s' }), {}, { downstream_cx_total: 900, idle_timeout: 410 }, { downstream_cx_total: 930, idle_timeout: 437 }),
      want: [
        {
          code: 'tunnel-idle-timeouts',
          entity: L,
          severity: 'error',
          evidence: {
            statPrefix: PREFIX,
            cluster: C,
            passthrough: true,
            idleTimeoutMs: 300_000,
            idleTimeoutSource: 'explicit',
            idleTimeouts: 437,
            windowIdleTimeouts: 27,
            windowSeconds: 30,
            connections: 930,
            listenerKeepalive: false,
            clusterKeepalive: false,
          },
        },
      ],
    },
    {
      name: 'idle timeouts as a total only, keepalive on both sides: warning, default idle timeout',
      spec: spec(passthrough({ keepalive: true }), clusterKeepalive, { downstream_cx_total: 50, idle_timeout: 4 }),
      want: [
        {
          code: 'tunnel-idle-timeouts',
          entity: L,
          severity: 'warning',
          evidence: { idleTimeoutMs: 3_600_000, idleTimeoutSource: 'envoy-default', idleTimeouts: 4, listenerKeepalive: true, clusterKeepalive: true },
        },
      ],
    },
    {
      name: 'logged tunnels end at the idle timeout: error even without the counter',
      spec: spec(passthrough({ idleTimeout: '300s', keepalive: true }), clusterKeepalive),
      log: [...times(5, tunnel(300_400)), tunnel(12_000)],
      want: [{ code: 'tunnel-idle-timeouts', entity: L, severity: 'error', evidence: { logTunnels: 6, logAtIdleTimeout: 5 } }],
    },
    {
      name: 'no keepalive and tunnels ending at the AWS NLB idle timeout: error, timer named',
      spec: spec(passthrough(), {}, { downstream_cx_total: 80, idle_timeout: 0 }),
      log: [...times(4, tunnel(351_000)), tunnel(20_000)],
      want: [
        {
          code: 'tunnel-idle-timeouts',
          entity: L,
          severity: 'error',
          evidence: { idleTimeouts: 0, middleboxTimer: 'aws-nlb-tcp-idle-timeout', logAtMiddleboxTimer: 4, logAtIdleTimeout: 0 },
        },
      ],
    },
    {
      name: 'no keepalive, nothing ended: info',
      spec: spec(passthrough(), {}, { downstream_cx_total: 80, idle_timeout: 0 }),
      want: [{ code: 'tunnel-idle-timeouts', entity: L, severity: 'info', evidence: { idleTimeouts: 0, listenerKeepalive: false, clusterKeepalive: false } }],
    },
    { name: 'no keepalive but no tunnel ever opened: nothing', spec: spec(passthrough(), {}, { downstream_cx_total: 0, idle_timeout: 0 }), want: [] },
    {
      name: 'keepalive on both sides, no idle timeouts: nothing',
      spec: spec(passthrough({ keepalive: true }), clusterKeepalive, { downstream_cx_total: 80, idle_timeout: 0 }),
      want: [],
    },
    { name: 'TLS terminated by Envoy: not a tunnel', spec: spec(passthrough({ tls: true }), {}, { downstream_cx_total: 80, idle_timeout: 9 }), want: [] },
    { name: 'no keepalive, configuration alone (no stats, no log): nothing', spec: spec(passthrough(), {}), want: [] },
    {
      name: 'no keepalive, tunnels logged for minutes: their number is evidence',
      spec: spec(passthrough(), {}),
      log: [tunnel(45 * 60_000), tunnel(8_000)],
      want: [{ code: 'tunnel-idle-timeouts', entity: L, severity: 'info', evidence: { logTunnels: 2, logLongLived: 1 } }],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = fixture(c.spec);
      if (c.log) s.accessLog = { source: 'access.log', entries: c.log, skipped: 0 };
      expectFindings(analyze(s), c.want);
    });
  }
});

describe("tcp-tunnels analyzer: tunnels that are not the proxy's own", () => {
  /** A plaintext TCP proxy listener (no SNI) to `cluster`, with tunnels opened and some closed idle. */
  const plain = (name: string, port: number, cluster: string, prefix = cluster): object => ({
    name,
    address: { socket_address: { address: '0.0.0.0', port_value: port } },
    filter_chains: [{ filters: [{ name: 'envoy.tcp_proxy', config: { stat_prefix: prefix, cluster } }] }],
  });
  const used = (prefix: string) => ({ [`tcp.${prefix}.downstream_cx_total`]: 500, [`tcp.${prefix}.idle_timeout`]: 3 });
  const cases: Array<{ name: string; cluster: object; listener: object; prefix: string }> = [
    {
      name: 'BlackHoleCluster',
      cluster: { name: 'BlackHoleCluster', type: 'STATIC' },
      listener: plain('virtualOutbound', 15001, 'BlackHoleCluster'),
      prefix: 'BlackHoleCluster',
    },
    {
      name: 'PassthroughCluster',
      cluster: { name: 'PassthroughCluster', type: 'ORIGINAL_DST' },
      listener: plain('virtualOutbound', 15001, 'PassthroughCluster'),
      prefix: 'PassthroughCluster',
    },
    {
      name: 'InboundPassthroughCluster',
      cluster: { name: 'InboundPassthroughCluster', type: 'ORIGINAL_DST' },
      listener: plain('virtualInbound', 15006, 'InboundPassthroughCluster'),
      prefix: 'InboundPassthroughCluster',
    },
    {
      name: 'an Istio inbound cluster',
      cluster: { name: 'inbound|5432||', type: 'ORIGINAL_DST' },
      listener: plain('virtualInbound', 15006, 'inbound|5432||'),
      prefix: 'inbound|5432||',
    },
    {
      name: 'a health-check cluster',
      cluster: { name: 'envoy-health-check', type: 'STATIC' },
      listener: plain('health', 15021, 'envoy-health-check'),
      prefix: 'health',
    },
    {
      name: 'DNS on port 53',
      cluster: { name: 'outbound|53||kube-dns.kube-system.svc.cluster.local', type: 'EDS' },
      listener: plain('10.96.0.10_53', 53, 'outbound|53||kube-dns.kube-system.svc.cluster.local'),
      prefix: 'outbound|53||kube-dns.kube-system.svc.cluster.local',
    },
  ];
  for (const c of cases) {
    it(`${c.name}: nothing, even with idle timeouts`, () => {
      expectFindings(analyze(fixture({ clusters: [c.cluster], listeners: [c.listener], stats: used(c.prefix) })), []);
    });
  }
  const loopback = {
    name: 'localhost:10011',
    type: 'STATIC',
    load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 10011 } } } }] }] },
  };
  const loopbackCases: Array<{ name: string; stats: Record<string, number>; want: ExpectedFinding[] }> = [
    {
      name: 'a loopback cluster whose tunnels closed idle: Envoy ended them, keepalive is not judged',
      stats: used('localhost:10011'),
      want: [
        { code: 'tunnel-idle-timeouts', entity: 'outbound:127.0.0.1:10006', severity: 'warning', evidence: { idleTimeouts: 3, listenerKeepalive: false } },
      ],
    },
    {
      name: 'a loopback cluster without keepalive whose tunnels never closed idle: nothing',
      stats: { 'tcp.localhost:10011.downstream_cx_total': 500, 'tcp.localhost:10011.idle_timeout': 0 },
      want: [],
    },
  ];
  for (const c of loopbackCases) {
    it(c.name, () => {
      const got = analyze(fixture({ clusters: [loopback], listeners: [plain('outbound:127.0.0.1:10006', 10006, 'localhost:10011')], stats: c.stats }));
      expectFindings(got, c.want);
      for (const f of got) assert.equal(f.evidence.clusterKeepalive, undefined);
    });
  }
  it('a plaintext TCP route with idle timeouts is a tunnel all the same, not passthrough', () => {
    const s = fixture({
      clusters: [{ name: 'tcproute/db/pg/rule/-1', type: 'EDS' }],
      listeners: [plain('db/eg/pg', 5432, 'tcproute/db/pg/rule/-1', 'tcp-5432')],
      stats: used('tcp-5432'),
    });
    expectFindings(analyze(s), [{ code: 'tunnel-idle-timeouts', entity: 'db/eg/pg', severity: 'warning', evidence: { passthrough: false, idleTimeouts: 3 } }]);
  });
});
