import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/tcp-tunnels.ts';
import { proposedIdleTimeout, rootCause as rule } from '../../src/diagnose/root-causes/passthrough-idle-timeout.ts';
import { diagnoseWith, type ExpectedRootCause, expectNamed } from '../helpers/root-cause.ts';
import { fixture, gatewayCluster } from '../helpers/snapshot.ts';

const L = 'home/eg/tls-passthrough';
const C = 'tlsroute/home/mqtt/rule/-1';
const PREFIX = 'tls-passthrough-10444';
function listener(keepalive: boolean, idleTimeout = '300s') {
  return {
    name: L,
    address: { socket_address: { address: '0.0.0.0', port_value: 10444 } },
    ...(keepalive ? { socket_options: [{ level: '1', name: '9', int_value: '1' }] } : {}),
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
              idle_timeout: idleTimeout,
            },
          },
        ],
      },
    ],
  };
}
const tcp = (idle: number, total = 900) => ({ [`tcp.${PREFIX}.idle_timeout`]: idle, [`tcp.${PREFIX}.downstream_cx_total`]: total });
const withKeepalive = { upstream_connection_options: { tcp_keepalive: { keepalive_time: 60 } } };

/** Connection lengths at quantiles 0, 25, 50, 75, 90, 99 and 100: P75 and above past a minute. */
const LONG_TUNNELS = [50, 900, 20_000, 65_000, 300_000, 900_000, 1_800_000];

interface Case {
  name: string;
  keepalive: boolean;
  /** Idle timeouts, then 30 s later. */
  before: number;
  after?: number;
  /** The cluster's connection length histogram, by quantile. */
  lengths?: number[];
  want: ExpectedRootCause | undefined;
}

function diagnose(c: Case) {
  const s = fixture({
    clusters: [gatewayCluster(C, c.keepalive ? withKeepalive : {})],
    listeners: [listener(c.keepalive)],
    stats: { ...tcp(c.before), ...(c.lengths ? { [`cluster.${C}.upstream_cx_length_ms`]: 0 } : {}) },
    ...(c.after !== undefined ? { statsLater: tcp(c.after, 930), intervalSeconds: 30 } : {}),
  });
  const lengths = c.lengths;
  if (lengths) {
    (s.stats as NonNullable<typeof s.stats>).histograms.set(`cluster|${C}|upstream_cx_length_ms`, {
      quantiles: [0, 25, 50, 75, 90, 99, 100].map((quantile, i) => ({ quantile, interval: null, cumulative: lengths[i] as number })),
      buckets: { le: [], count: [] },
    });
  }
  return diagnoseWith(rule, analyze, s);
}

describe('passthrough-idle-timeout rule', () => {
  const cases: Case[] = [
    {
      name: 'idle timeouts in the window without keepalive: error, high; longer idle timeout and keepalive on both sides',
      keepalive: false,
      before: 410,
      after: 437,
      want: {
        severity: 'error',
        confidence: 'high',
        score: 0.75,
        entities: [
          { kind: 'listener', name: L },
          { kind: 'cluster', name: C },
        ],
        explains: ['tunnels-closed-idle', 'tunnels-without-keepalive'],
        someValues: { 'tunnels-closed-idle': { windowIdleTimeouts: 27 } },
        changes: [
          { kind: 'tcp-proxy-idle-timeout', listener: L, statPrefix: PREFIX, ms: 3_600_000 },
          { kind: 'listener-tcp-keepalive', listener: L, probes: 3, timeSeconds: 60, intervalSeconds: 20 },
          { kind: 'cluster-tcp-keepalive', cluster: C, probes: 3, timeSeconds: 60, intervalSeconds: 20 },
        ],
      },
    },
    {
      name: 'idle timeouts as a total with keepalive on both sides: warning, only the idle timeout changes',
      keepalive: true,
      before: 5,
      want: { severity: 'warning', confidence: 'medium', changeKinds: ['tcp-proxy-idle-timeout'] },
    },
    {
      name: 'keepalive missing, no tunnel ended, nothing says the tunnels last: no root cause from the configuration alone',
      keepalive: false,
      before: 0,
      after: 0,
      want: undefined,
    },
    {
      name: 'keepalive missing where the connection length histogram shows long tunnels: info, keepalive changes only',
      keepalive: false,
      before: 0,
      lengths: LONG_TUNNELS,
      want: {
        severity: 'info',
        explains: ['tunnels-without-keepalive', 'tunnels-last-long'],
        changeKinds: ['listener-tcp-keepalive', 'cluster-tcp-keepalive'],
        more: (rc) => assert.equal(rc.evidence[0]?.evidence.longLivedShare, 0.25),
      },
    },
    { name: 'healthy tunnels name nothing', keepalive: true, before: 0, after: 0, want: undefined },
  ];
  for (const c of cases) it(c.name, () => expectNamed(diagnose(c), 'passthrough-idle-timeout', c.want));
});

describe('passthrough-idle-timeout: proposes twice the idle timeout, and at least an hour', () => {
  const cases: Array<{ ms: number; want: number }> = [
    { ms: 300_000, want: 3_600_000 },
    { ms: 3_600_000, want: 7_200_000 },
  ];
  for (const c of cases) it(`${c.ms} ms: ${c.want} ms`, () => assert.equal(proposedIdleTimeout(c.ms), c.want));
});
