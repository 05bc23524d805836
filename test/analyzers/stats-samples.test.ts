import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/stats-samples.ts';
import { diagnose } from '../../src/cli/diagnosis.ts';
import { assembleSnapshot } from '../../src/parse/assemble.ts';
import { parseStatsString } from '../helpers/stats-string.ts';
import { expectFindings } from '../helpers/expect.ts';
import { clusterStats, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const config = {
  clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 32768 })],
  listeners: [gatewayListener()],
  routeConfigs: [routeConfig('home/eg/https', [C])],
};

/** A stalled cluster at some point in its life: `n` scales every counter. */
const stalled = (n: number, uptime: number) => ({
  ...clusterStats(C, {
    upstream_cx_total: 100 * n,
    upstream_cx_active: 20,
    upstream_flow_control_paused_reading_total: 40 * n,
    upstream_flow_control_resumed_reading_total: 40 * n - 13,
    upstream_cx_rx_bytes_buffered: 13 * 32768,
  }),
  ...httpStats('https-10443', { downstream_cx_total: 50 * n, downstream_cx_active: 20 }),
  'server.uptime': uptime,
});

describe('stats-samples analyzer: samples that run backwards', () => {
  // stats.txt was taken after stats.later.txt: every counter falls.
  const s = fixture({ ...config, stats: stalled(3, 9000), statsLater: stalled(2, 8970), intervalSeconds: 30 });
  it('sets the earlier sample aside and keeps the later one alone', () => {
    assert.equal(s.statsLater, undefined);
    assert.equal(s.intervalSeconds, undefined);
    assert.equal(s.stats?.clusters.get(C)?.get('upstream_cx_total'), 200);
  });
  it('names what decreased', () =>
    expectFindings(analyze(s), [
      {
        code: 'stats-counters-reset',
        entity: 'proxy-0',
        severity: 'warning',
        evidence: {
          decreased: 4,
          compared: 4,
          entities: 2,
          example: `cluster.${C}.upstream_cx_total`,
          exampleBefore: 300,
          exampleAfter: 200,
          uptimeBefore: 9000,
          uptimeAfter: 8970,
          restarted: true,
        },
      },
    ]));
  it('diagnoses the stall from the later sample alone', async () => {
    const d = await diagnose([s]);
    const stall = d.rootCauses.find((r) => r.id === 'flow-control-stall');
    assert.ok(stall);
    assert.equal(stall.evidence[0]?.evidence.outstanding, 13);
    assert.equal(stall.evidence[0]?.evidence.windowPaused, undefined);
  });
  it('gauges that fall and counters that grow are no reset', () => {
    const later = { ...stalled(3, 9030), [`cluster.${C}.upstream_cx_active`]: 2, [`cluster.${C}.upstream_cx_rx_bytes_buffered`]: 0 };
    const grown = fixture({ ...config, stats: stalled(2, 9000), statsLater: later, intervalSeconds: 30 });
    assert.equal(grown.countersReset, undefined);
    assert.ok(grown.statsLater);
    expectFindings(analyze(grown), []);
  });
});

describe('stats-samples analyzer: stats that were not understood', () => {
  it('a sample with no stat of any entity says so', async () => {
    const stats = await parseStatsString(
      'envoy_http_local_rate_limit_enabled{envoy_local_http_ratelimit_prefix="rl"} 0\nenvoy_http_local_rate_limit_ok{envoy_local_http_ratelimit_prefix="rl"} 0\n',
      'stats.prom',
    );
    const s = assembleSnapshot({ id: 'p', stats, inputs: { stats: 'stats.prom' } });
    expectFindings(analyze(s), [
      { code: 'stats-not-recognised', entity: 'p', severity: 'warning', evidence: { sample: 'stats.prom', format: 'prometheus', values: 2, entities: 0 } },
    ]);
  });
  it('a sample whose clusters carry Envoy stats is understood', () => {
    expectFindings(analyze(fixture({ ...config, stats: stalled(1, 10) })), []);
  });
});

describe('Prometheus samples with constant labels', () => {
  // The Consul dataplane adds five fixed-value tags to every sample; a scrape may add pod and namespace.
  const consul =
    'consul_source_datacenter="dc1",consul_source_namespace="default",consul_source_partition="default",consul_source_service="web",local_cluster="web"';
  const text = [
    '# TYPE envoy_cluster_upstream_cx_active gauge',
    `envoy_cluster_upstream_cx_active{${consul},envoy_cluster_name="db"} 20`,
    `envoy_cluster_upstream_cx_active{envoy_cluster_name="api",${consul}} 3`,
    '# TYPE envoy_cluster_upstream_flow_control_paused_reading_total counter',
    `envoy_cluster_upstream_flow_control_paused_reading_total{${consul},envoy_cluster_name="db"} 40`,
    `envoy_cluster_upstream_flow_control_resumed_reading_total{${consul},envoy_cluster_name="db"} 27`,
    `envoy_cluster_upstream_rq_xx{${consul},envoy_cluster_name="db",envoy_response_code_class="5"} 7`,
    `envoy_http_downstream_cx_active{${consul},envoy_http_conn_manager_prefix="public_listener"} 9`,
    `envoy_server_uptime{${consul}} 600`,
    '',
  ].join('\n');
  it('are read as if the labels were not there', async () => {
    const stats = await parseStatsString(text, 'stats.prom');
    assert.deepEqual([...stats.clusters.keys()], ['db', 'api']);
    assert.equal(stats.clusters.get('db')?.get('upstream_cx_active'), 20);
    assert.equal(stats.clusters.get('api')?.get('upstream_cx_active'), 3);
    assert.equal(stats.clusters.get('db')?.get('upstream_flow_control_paused_reading_total'), 40);
    assert.equal(stats.clusters.get('db')?.get('upstream_rq_5xx'), 7);
    assert.equal(stats.connectionManagers.get('public_listener')?.get('downstream_cx_active'), 9);
    assert.equal(stats.other.get('server.uptime'), 600);
  });
  it('leave the sample understood, and its stall found', async () => {
    const stats = await parseStatsString(text, 'stats.prom');
    const s = assembleSnapshot({ id: 'p', stats, inputs: { stats: 'stats.prom' } });
    expectFindings(analyze(s), []);
    const d = await diagnose([s]);
    assert.ok(d.findings.some((f) => f.code === 'upstream-reads-paused' && f.entity.name === 'db' && f.evidence.outstanding === 13));
  });
});
