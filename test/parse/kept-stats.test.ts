// A stats file keeps only the stats the diagnosis reads: the others are counted and let go, in all three formats, and
// every sample's diagnosis is the same as from all of its stats.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { neededStats } from '../../src/diagnose/stats-to-read.ts';
import { keptStats } from '../../src/parse/kept-stats.ts';
import { diagnose } from '../../src/cli/diagnosis.ts';
import { assembleSnapshot, knownEntities } from '../../src/parse/assemble.ts';
import { parseConfigDocument } from '../../src/parse/config-document.ts';
import { parseStats } from '../../src/parse/stats.ts';
import { parseStatsString } from '../helpers/stats-string.ts';
import { jsonReport } from '../../src/report/json.ts';
import { ROOT } from '../helpers/cli.ts';

const C = 'httproute/team/app/rule/0';

/** One cluster with stats the diagnosis reads, a counter it reads only to compare samples, and stats it never reads. */
const VALUES: Record<string, number> = {
  upstream_flow_control_paused_reading_total: 12,
  upstream_cx_active: 4,
  'circuit_breakers.default.cx_open': 1,
  upstream_rq_retry_overflow: 3,
  upstream_rq_200: 900,
  version: 1234,
};
const READ = ['upstream_flow_control_paused_reading_total', 'upstream_cx_active', 'circuit_breakers_default_cx_open'];

const FORMATS: Record<string, string> = {
  text: [
    ...Object.entries(VALUES).map(([k, v]) => `cluster.${C}.${k}: ${v}`),
    `cluster.${C}.upstream_cx_length_ms: P0(nan,1) P50(nan,20) P100(nan,30)`,
    `cluster.${C}.upstream_rq_time: P0(nan,1) P50(nan,2) P100(nan,3)`,
  ].join('\n'),
  json: JSON.stringify({
    stats: [
      ...Object.entries(VALUES).map(([k, v]) => ({ name: `cluster.${C}.${k}`, value: v })),
      {
        histograms: {
          supported_quantiles: [0, 50, 100],
          computed_quantiles: ['upstream_cx_length_ms', 'upstream_rq_time'].map((h) => ({
            name: `cluster.${C}.${h}`,
            values: [
              { interval: null, cumulative: 1 },
              { interval: null, cumulative: 2 },
              { interval: null, cumulative: 3 },
            ],
          })),
        },
      },
    ],
  }),
  prometheus: [
    ...Object.entries(VALUES).flatMap(([k, v]) => {
      const family = `envoy_cluster_${k.replaceAll('.', '_')}`;
      return [`# TYPE ${family} counter`, `${family}{envoy_cluster_name="${C}"} ${v}`];
    }),
    ...['upstream_cx_length_ms', 'upstream_rq_time'].flatMap((h) => [
      `# TYPE envoy_cluster_${h} histogram`,
      `envoy_cluster_${h}_bucket{envoy_cluster_name="${C}",le="10"} 1`,
      `envoy_cluster_${h}_bucket{envoy_cluster_name="${C}",le="+Inf"} 2`,
      `envoy_cluster_${h}_sum{envoy_cluster_name="${C}"} 30`,
      `envoy_cluster_${h}_count{envoy_cluster_name="${C}"} 2`,
    ]),
  ].join('\n'),
};

describe('a stats file keeps the stats the diagnosis reads', () => {
  for (const [format, text] of Object.entries(FORMATS)) {
    it(`${format}: one sample keeps what is read, counts every value and the ones let go`, async () => {
      const all = await parseStatsString(`${text}\n`, 'stats');
      const kept = await parseStats(Readable.from([Buffer.from(`${text}\n`)]), 'stats', {}, undefined, keptStats(false, neededStats()));
      const stats = kept.clusters.get(C);
      assert.ok(stats);
      assert.deepEqual([...stats.keys()].sort(), [...READ].sort());
      assert.equal(kept.count, all.count);
      assert.equal(kept.count, Object.keys(VALUES).length + 2);
      assert.equal(kept.unkept?.get(stats), Object.keys(VALUES).length - READ.length);
      assert.deepEqual([...kept.histograms.keys()], [`cluster|${C}|upstream_cx_length_ms`]);
      assert.equal(all.histograms.size, 2);
    });
    it(`${format}: with two samples, the counters compared between them are kept too`, async () => {
      const kept = await parseStats(Readable.from([Buffer.from(`${text}\n`)]), 'stats', {}, undefined, keptStats(true, neededStats()));
      assert.deepEqual([...(kept.clusters.get(C)?.keys() ?? [])].sort(), [...READ, 'upstream_rq_retry_overflow'].sort());
    });
  }
});

describe('every sample diagnoses the same from the stats kept as from all of them', () => {
  const samples = readdirSync(`${ROOT}/samples`).filter(
    (d) => existsSync(`${ROOT}/samples/${d}/config_dump.json`) && existsSync(`${ROOT}/samples/${d}/stats.txt`),
  );
  assert.ok(samples.length >= 10);
  for (const sample of samples) {
    it(sample, async () => {
      const dir = `${ROOT}/samples/${sample}`;
      const later = existsSync(`${dir}/stats.later.txt`) ? `${dir}/stats.later.txt` : undefined;
      const reports: string[] = [];
      for (const kept of [undefined, keptStats(later !== undefined, neededStats())]) {
        const [config] = parseConfigDocument(readFileSync(`${dir}/config_dump.json`), 'config_dump.json', sample);
        assert.ok(config);
        const read = (path: string) => parseStats(Readable.from([readFileSync(path)]), path, knownEntities(config), undefined, kept);
        const stats = await read(`${dir}/stats.txt`);
        const statsLater = later ? await read(later) : undefined;
        const snapshot = assembleSnapshot({
          id: config.id,
          config,
          stats,
          ...(statsLater ? { statsLater, intervalSeconds: 30 } : {}),
          inputs: { configDump: 'config_dump.json', stats: 'stats.txt' },
        });
        reports.push(JSON.stringify(jsonReport(await diagnose([snapshot]), { name: 'envoy-doctor', version: 'test' }, { failOn: 'error' })));
      }
      assert.equal(reports[1], reports[0]);
    });
  }
});
