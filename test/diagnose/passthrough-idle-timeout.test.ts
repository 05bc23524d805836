import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/tcp-tunnels.ts';
import { proposedIdleTimeout, rootCause as rule } from '../../src/diagnose/root-causes/passthrough-idle-timeout.ts';
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
        filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: PREFIX, cluster: C, idle_timeout: idleTimeout } }],
      },
    ],
  };
}
const tcp = (idle: number, total = 900) => ({ [`tcp.${PREFIX}.idle_timeout`]: idle, [`tcp.${PREFIX}.downstream_cx_total`]: total });
const withKeepalive = { upstream_connection_options: { tcp_keepalive: { keepalive_time: 60 } } };

function diagnose(opts: { keepalive: boolean; before: number; after?: number }) {
  const s = fixture({
    clusters: [gatewayCluster(C, opts.keepalive ? withKeepalive : {})],
    listeners: [listener(opts.keepalive)],
    stats: tcp(opts.before),
    ...(opts.after !== undefined ? { statsLater: tcp(opts.after, 930), intervalSeconds: 30 } : {}),
  });
  return rule.diagnose(s, analyze(s));
}

describe('passthrough-idle-timeout rule', () => {
  it('idle timeouts in the window without keepalive: error, high; longer idle timeout and keepalive on both sides', () => {
    const [rc, ...rest] = diagnose({ keepalive: false, before: 410, after: 437 });
    assert.equal(rest.length, 0);
    assert.equal(rc?.id, 'passthrough-idle-timeout');
    assert.equal(rc?.severity, 'error');
    assert.equal(rc?.confidence, 'high');
    assert.equal(rc?.score, 0.75);
    assert.deepEqual(rc?.entities, [{ kind: 'listener', name: L }, { kind: 'cluster', name: C }]);
    assert.deepEqual(rc?.explains.map((e) => e.code), ['tunnels-closed-idle', 'tunnels-without-keepalive']);
    assert.equal(rc?.explains[0]?.values.windowIdleTimeouts, 27);
    assert.deepEqual(rc?.changes, [
      { kind: 'tcp-proxy-idle-timeout', listener: L, statPrefix: PREFIX, ms: 3_600_000 },
      { kind: 'listener-tcp-keepalive', listener: L, probes: 3, timeSeconds: 60, intervalSeconds: 20 },
      { kind: 'cluster-tcp-keepalive', cluster: C, probes: 3, timeSeconds: 60, intervalSeconds: 20 },
    ]);
  });
  it('idle timeouts as a total with keepalive on both sides: warning, only the idle timeout changes', () => {
    const [rc] = diagnose({ keepalive: true, before: 5 });
    assert.equal(rc?.severity, 'warning');
    assert.equal(rc?.confidence, 'medium');
    assert.deepEqual(rc?.changes.map((c) => c.kind), ['tcp-proxy-idle-timeout']);
  });
  it('keepalive missing, no tunnel ended, nothing says the tunnels last: no root cause from the configuration alone', () => {
    assert.deepEqual(diagnose({ keepalive: false, before: 0, after: 0 }), []);
  });
  it('keepalive missing where the connection length histogram shows long tunnels: info, keepalive changes only', () => {
    const s = fixture({
      clusters: [gatewayCluster(C)],
      listeners: [listener(false)],
      stats: { ...tcp(0), [`cluster.${C}.upstream_cx_length_ms`]: 0 },
    });
    // P75 and above of the connection lengths past a minute.
    (s.stats as NonNullable<typeof s.stats>).histograms.set(`cluster|${C}|upstream_cx_length_ms`, {
      quantiles: [0, 25, 50, 75, 90, 99, 100].map((quantile, i) => ({ quantile, interval: null, cumulative: [50, 900, 20_000, 65_000, 300_000, 900_000, 1_800_000][i] as number })),
      buckets: { le: [], count: [] },
    });
    const [rc, ...rest] = rule.diagnose(s, analyze(s));
    assert.equal(rest.length, 0);
    assert.equal(rc?.severity, 'info');
    assert.equal(rc?.evidence[0]?.evidence.longLivedShare, 0.25);
    assert.deepEqual(rc?.explains.map((e) => e.code), ['tunnels-without-keepalive', 'tunnels-last-long']);
    assert.deepEqual(rc?.changes.map((c) => c.kind), ['listener-tcp-keepalive', 'cluster-tcp-keepalive']);
  });
  it('healthy tunnels name nothing', () => {
    assert.deepEqual(diagnose({ keepalive: true, before: 0, after: 0 }), []);
  });
  it('proposes twice the idle timeout, and at least an hour', () => {
    assert.equal(proposedIdleTimeout(300_000), 3_600_000);
    assert.equal(proposedIdleTimeout(3_600_000), 7_200_000);
  });
});
