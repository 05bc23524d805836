import assert from 'node:assert/strict';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inputChunks } from '../../src/collect/read-input.ts';
import { InputError } from '../../src/parse/input-error.ts';
import { histogramKey } from '../../src/parse/stats-builder.ts';
import { parseStats } from '../../src/parse/stats.ts';
import { parseStatsString } from '../helpers/stats-string.ts';

const C = 'httproute/home/ha/rule/0';

const TEXT = [
  `cluster.${C}.circuit_breakers.default.cx_open: 0`,
  `cluster.${C}.upstream_cx_active: 67`,
  `cluster.${C}.upstream_cx_rx_bytes_buffered: 453000`,
  `cluster.${C}.upstream_flow_control_paused_reading_total: 1233`,
  `cluster.${C}.upstream_rq_200: 5`,
  'http.https-10443.downstream_cx_active: 70',
  'http.https-10443.user_agent.ios.downstream_cx_destroy_remote_active_rq: 1436',
  'listener.0.0.0.0_10443.downstream_cx_active: 70',
  'server.uptime: 86400',
  `cluster.${C}.upstream_cx_length_ms: P0(nan,1000) P25(nan,55000) P50(nan,110000) P75(nan,112000) P90(nan,118000) P95(nan,119000) P99(nan,120000) P99.5(nan,120000) P99.9(nan,120000) P100(nan,120000)`,
  `cluster.${C}.upstream_cx_connect_ms: No recorded values`,
  '',
].join('\n');

const JSON_STATS = JSON.stringify({
  stats: [
    { name: `cluster.${C}.circuit_breakers.default.cx_open`, value: 0 },
    { name: `cluster.${C}.upstream_cx_active`, value: 67 },
    { name: `cluster.${C}.upstream_cx_rx_bytes_buffered`, value: 453000 },
    { name: `cluster.${C}.upstream_flow_control_paused_reading_total`, value: 1233 },
    { name: `cluster.${C}.upstream_rq_200`, value: 5 },
    { name: 'http.https-10443.downstream_cx_active', value: 70 },
    { name: 'http.https-10443.user_agent.ios.downstream_cx_destroy_remote_active_rq', value: 1436 },
    { name: 'listener.0.0.0.0_10443.downstream_cx_active', value: 70 },
    { name: 'server.uptime', value: 86400 },
    {
      histograms: {
        supported_quantiles: [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100],
        computed_quantiles: [
          {
            name: `cluster.${C}.upstream_cx_length_ms`,
            values: [1000, 55000, 110000, 112000, 118000, 119000, 120000, 120000, 120000, 120000].map((c) => ({ interval: null, cumulative: c })),
          },
        ],
      },
    },
  ],
});

const PROM = [
  '# TYPE envoy_cluster_circuit_breakers_default_cx_open gauge',
  `envoy_cluster_circuit_breakers_default_cx_open{envoy_cluster_name="${C}"} 0`,
  '# TYPE envoy_cluster_upstream_cx_active gauge',
  `envoy_cluster_upstream_cx_active{envoy_cluster_name="${C}"} 67`,
  '# TYPE envoy_cluster_upstream_cx_rx_bytes_buffered gauge',
  `envoy_cluster_upstream_cx_rx_bytes_buffered{envoy_cluster_name="${C}"} 453000`,
  '# TYPE envoy_cluster_upstream_flow_control_paused_reading_total counter',
  `envoy_cluster_upstream_flow_control_paused_reading_total{envoy_cluster_name="${C}"} 1233`,
  '# TYPE envoy_cluster_upstream_rq counter',
  `envoy_cluster_upstream_rq{envoy_response_code="200",envoy_cluster_name="${C}"} 5`,
  '# TYPE envoy_http_downstream_cx_active gauge',
  'envoy_http_downstream_cx_active{envoy_http_conn_manager_prefix="https-10443"} 70',
  '# TYPE envoy_http_user_agent_downstream_cx_destroy_remote_active_rq counter',
  'envoy_http_user_agent_downstream_cx_destroy_remote_active_rq{envoy_http_conn_manager_prefix="https-10443",envoy_http_user_agent="ios"} 1436',
  '# TYPE envoy_listener_downstream_cx_active gauge',
  'envoy_listener_downstream_cx_active{envoy_listener_address="0.0.0.0_10443"} 70',
  '# TYPE envoy_server_uptime gauge',
  'envoy_server_uptime{} 86400',
  '# TYPE envoy_cluster_upstream_cx_length_ms histogram',
  `envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="${C}",le="60000"} 30`,
  `envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="${C}",le="+Inf"} 100`,
  `envoy_cluster_upstream_cx_length_ms_sum{envoy_cluster_name="${C}"} 9000000`,
  `envoy_cluster_upstream_cx_length_ms_count{envoy_cluster_name="${C}"} 100`,
  '',
].join('\r\n');

describe('stats in three formats', () => {
  for (const [format, text] of [
    ['text', TEXT],
    ['json', JSON_STATS],
    ['prometheus', PROM],
  ] as const) {
    it(`${format}: the same entity-keyed values`, async () => {
      const s = await parseStatsString(text, `stats.${format}`);
      assert.equal(s.format, format);
      assert.equal(s.clusters.get(C)?.get('upstream_cx_active'), 67);
      assert.equal(s.clusters.get(C)?.get('upstream_cx_rx_bytes_buffered'), 453000);
      assert.equal(s.clusters.get(C)?.get('upstream_flow_control_paused_reading_total'), 1233);
      assert.equal(s.clusters.get(C)?.get('circuit_breakers_default_cx_open'), 0);
      assert.equal(s.clusters.get(C)?.get('upstream_rq_200'), 5);
      assert.equal(s.connectionManagers.get('https-10443')?.get('downstream_cx_active'), 70);
      assert.equal(s.userAgents.get('https-10443')?.get('ios')?.get('downstream_cx_destroy_remote_active_rq'), 1436);
      assert.equal(s.listeners.get('0.0.0.0_10443')?.get('downstream_cx_active'), 70);
      const h = s.histograms.get(histogramKey('cluster', C, 'upstream_cx_length_ms'));
      assert.ok(h, 'histogram kept');
      if (format === 'prometheus') {
        assert.deepEqual(h.buckets, { le: [60000, Number.POSITIVE_INFINITY], count: [30, 100] });
        assert.equal(h.count, 100);
      } else {
        assert.equal(h.quantiles.length, 10);
        assert.deepEqual(h.quantiles[2], { quantile: 50, interval: null, cumulative: 110000 });
      }
    });
  }

  it("Istio's relabelled Prometheus (cluster_name) and Envoy Gateway's priority tag on circuit breakers", async () => {
    const s = await parseStatsString(
      [
        'envoy_cluster_upstream_cx_active{cluster_name="outbound|80||web.shop.svc.cluster.local"} 4',
        'envoy_cluster_circuit_breakers_cx_open{envoy_cluster_name="a",priority="default"} 1',
      ].join('\n'),
      'istio.prom',
    );
    assert.equal(s.clusters.get('outbound|80||web.shop.svc.cluster.local')?.get('upstream_cx_active'), 4);
    assert.equal(s.clusters.get('a')?.get('circuit_breakers_default_cx_open'), 1);
  });

  it('a BOM and CRLF line ends are accepted', async () => {
    const s = await parseStatsString(`\uFEFF${TEXT.replace(/\n/g, '\r\n')}`, 'bom.txt');
    assert.equal(s.clusters.get(C)?.get('upstream_cx_active'), 67);
  });
});

describe('inputs that are not stats', () => {
  const cases: Array<[string, string | Buffer, RegExp]> = [
    ['empty file', '', /empty input; expected Envoy \/stats/],
    ['binary data', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00]), /binary data; expected Envoy \/stats/],
    ['JSON that is not stats', '{"configs": []}', /without a stats\[\] array/],
    ['truncated JSON', '{"stats": [{"name": "a.b", "va', /truncated JSON: ends inside stats\[0\]/],
    ['prose', 'hello world\nthis is not a stats file\n', /unrecognised text; expected Envoy \/stats/],
  ];
  for (const [name, content, message] of cases) {
    it(`${name}: InputError naming the file`, async () => {
      const text = typeof content === 'string' ? content : content.toString('latin1');
      async function* one() {
        yield typeof content === 'string' ? Buffer.from(text) : content;
      }
      await assert.rejects(parseStats(one(), 'bad.txt'), (err: unknown) => {
        assert.ok(err instanceof InputError);
        assert.match(err.message, /^bad\.txt: /);
        assert.match(err.message, message);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      });
    });
  }
});

describe('a 1 GB line', () => {
  let dir = '';
  let path = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-'));
    path = join(dir, 'one-line.txt');
    await writeFile(path, 'cluster.a.upstream_cx_active: 1\ncluster.b.upstream_rq_total: ');
    const fh = await open(path, 'a');
    const chunk = Buffer.alloc(16 * 1024 * 1024, '7');
    for (let i = 0; i < 64; i++) await fh.write(chunk);
    await fh.close();
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  it('fails fast with a one-line error naming the file and line, without reading it all', async () => {
    const start = process.memoryUsage().rss;
    await assert.rejects(parseStats(inputChunks(path), path), (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.message, `${path}: line 2 is longer than 1048576 bytes; expected Envoy /stats output, one stat per line`);
      return true;
    });
    assert.ok(process.memoryUsage().rss - start < 256 * 1024 * 1024, 'memory stays bounded');
  });
});

describe('Prometheus histogram buckets', () => {
  it('each bucket lands in its own histogram, whichever order the labels and histograms come in', async () => {
    const text = [
      '# TYPE envoy_cluster_upstream_cx_length_ms histogram',
      'envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="a",le="1"} 1',
      'envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="a",le="+Inf"} 4',
      'envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="ab",le="1"} 7',
      'envoy_cluster_upstream_cx_length_ms_bucket{le="+Inf",envoy_cluster_name="ab"} 9',
      'envoy_cluster_upstream_cx_length_ms_bucket{envoy_cluster_name="a",le="5"} 2',
      'envoy_cluster_upstream_cx_length_ms_count{envoy_cluster_name="a"} 4',
      'envoy_cluster_upstream_cx_total{envoy_cluster_name="a"} 3',
      '',
    ].join('\n');
    const s = await parseStatsString(text, 'prom.txt');
    const of = (c: string) => s.histograms.get(histogramKey('cluster', c, 'upstream_cx_length_ms'))?.buckets;
    assert.deepEqual(of('a'), { le: [1, Number.POSITIVE_INFINITY, 5], count: [1, 4, 2] });
    assert.deepEqual(of('ab'), { le: [1, Number.POSITIVE_INFINITY], count: [7, 9] });
    assert.equal(s.clusters.get('a')?.get('upstream_cx_total'), 3);
  });
});

describe('Prometheus samples of one family, one after another', () => {
  it('each reaches its entity, also when a later one carries more labels or escapes', async () => {
    const text = [
      'envoy_cluster_upstream_rq{envoy_cluster_name="a"} 1',
      'envoy_cluster_upstream_rq{envoy_cluster_name="b"} 2',
      'envoy_cluster_upstream_rq{envoy_cluster_name="b",envoy_response_code="200"} 3',
      'envoy_cluster_upstream_rq{envoy_cluster_name="q\\"uote"} 4',
      'envoy_cluster_upstream_rq{envoy_cluster_name="c"} NaN',
      '',
    ].join('\n');
    const s = await parseStatsString(text, 'prom.txt');
    assert.equal(s.clusters.get('a')?.get('upstream_rq'), 1);
    assert.equal(s.clusters.get('b')?.get('upstream_rq'), 2);
    assert.equal(s.clusters.get('b')?.get('upstream_rq_200'), 3);
    assert.equal(s.clusters.get('q"uote')?.get('upstream_rq'), 4);
    assert.equal(s.count, 5);
  });
});

describe("the gRPC stats filter's per-method stats", () => {
  it('read the same in text and Prometheus, where Envoy takes the service and method out of the name', async () => {
    const G = 'grpcroute/home/ticker/rule/0';
    const text = await parseStatsString(`cluster.${G}.grpc.lab.Ticker.Watch.response_message_count: 7\ncluster.${G}.upstream_rq_total: 9\n`, 'stats.txt');
    const prom = await parseStatsString(
      `envoy_cluster_grpc_Watch_response_message_count{envoy_cluster_name="${G}",envoy_grpc_bridge_method="Ticker",envoy_grpc_bridge_service="lab"} 7\nenvoy_cluster_upstream_rq_total{envoy_cluster_name="${G}"} 9\n`,
      'stats.prom',
    );
    assert.equal(text.clusters.get(G)?.get('grpc_lab_Ticker_Watch_response_message_count'), 7);
    assert.deepEqual([...(prom.clusters.get(G) ?? [])], [...(text.clusters.get(G) ?? [])]);
  });
});
