// Ranking: among root causes whose scores tie, the larger evidence first, whatever format the stats came in; and one
// mechanism on one listener is one root cause.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnose } from '../../src/cli/diagnosis.ts';
import { mergeOnListeners, rankRootCauses } from '../../src/diagnose/diagnose.ts';
import type { Diagnosed, Finding } from '../../src/model/finding.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { parseStatsString } from '../helpers/stats-string.ts';
import { fixture, gatewayCluster, gatewayListener, routeConfig } from '../helpers/snapshot.ts';

const SMALL = 'a-small';
const LARGE = 'b-large';

/** Per cluster: paused, resumed (13 or 4 unmatched), active connections and bytes buffered (the large one holds four times more). */
const NUMBERS: Record<string, Record<string, number>> = {
  [SMALL]: {
    upstream_flow_control_paused_reading_total: 40,
    upstream_flow_control_resumed_reading_total: 36,
    upstream_cx_active: 20,
    upstream_cx_rx_bytes_buffered: 3 * 32768,
  },
  [LARGE]: {
    upstream_flow_control_paused_reading_total: 50,
    upstream_flow_control_resumed_reading_total: 37,
    upstream_cx_active: 20,
    upstream_cx_rx_bytes_buffered: 12 * 32768,
  },
};

/** The same sample in Envoy's three formats; the Prometheus one lists the large cluster first, as a family lists its entities. */
const FORMATS: Record<string, string> = {
  text: Object.entries(NUMBERS)
    .flatMap(([c, stats]) => Object.entries(stats).map(([k, v]) => `cluster.${c}.${k}: ${v}`))
    .join('\n'),
  json: JSON.stringify({
    stats: Object.entries(NUMBERS).flatMap(([c, stats]) => Object.entries(stats).map(([k, v]) => ({ name: `cluster.${c}.${k}`, value: v }))),
  }),
  prometheus: Object.keys(NUMBERS[SMALL] as object)
    .flatMap((k) => [
      `# TYPE envoy_cluster_${k} gauge`,
      ...[LARGE, SMALL].map((c) => `envoy_cluster_${k}{envoy_cluster_name="${c}"} ${(NUMBERS[c] as Record<string, number>)[k]}`),
    ])
    .join('\n'),
};

async function snapshotWith(text: string, sameListener: boolean): Promise<Snapshot> {
  const s = fixture({
    clusters: [gatewayCluster(SMALL, { per_connection_buffer_limit_bytes: 32768 }), gatewayCluster(LARGE, { per_connection_buffer_limit_bytes: 32768 })],
    listeners: sameListener
      ? [gatewayListener({ routeConfig: 'rc', bufferLimit: 32768 })]
      : [
          gatewayListener({ name: 'home/eg/one', port: 10443, routeConfig: 'rc-small', bufferLimit: 32768 }),
          gatewayListener({ name: 'home/eg/two', port: 10444, routeConfig: 'rc-large', bufferLimit: 32768 }),
        ],
    routeConfigs: sameListener ? [routeConfig('rc', [SMALL, LARGE])] : [routeConfig('rc-small', [SMALL]), routeConfig('rc-large', [LARGE])],
  });
  s.stats = await parseStatsString(`${text}\n`, 'stats');
  s.inputs.stats = 'stats';
  return s;
}

describe('ranking of root causes whose scores tie', () => {
  for (const [format, text] of Object.entries(FORMATS)) {
    it(`${format}: the stall with 13 unmatched pauses and four times the bytes ranks above the one with 4`, async () => {
      const d = await diagnose([await snapshotWith(text, false)]);
      const stalls = d.rootCauses.filter((r) => r.id === 'flow-control-stall');
      assert.equal(stalls.length, 2);
      assert.equal(stalls[0]?.score, stalls[1]?.score, 'the scores tie');
      assert.deepEqual(
        stalls.map((r) => r.entities[0]?.name),
        [LARGE, SMALL],
      );
      assert.deepEqual(
        stalls.map((r) => r.evidence[0]?.evidence.outstanding),
        [13, 4],
      );
    });
  }
  it('without any difference in evidence, the entity names decide, never the order of arrival', () => {
    const f = (name: string): Finding => ({
      code: 'upstream-reads-paused',
      severity: 'warning',
      snapshot: 'p',
      entity: { kind: 'cluster', name },
      evidence: { pausedNowUpperBound: 3 },
    });
    const r = (name: string) => ({
      id: 'flow-control-stall',
      severity: 'error' as const,
      confidence: 'medium' as const,
      score: 0.6,
      entities: [{ kind: 'cluster' as const, name }],
      evidence: [f(name)],
    });
    assert.ok(rankRootCauses(r('x'), r('y')) < 0);
    assert.ok(rankRootCauses(r('y'), r('x')) > 0);
  });
});

describe('one mechanism on one listener is one root cause', () => {
  for (const [format, text] of Object.entries(FORMATS)) {
    it(`${format}: two stalled clusters behind one listener make one flow-control-stall, the larger first`, async () => {
      const d = await diagnose([await snapshotWith(text, true)]);
      const stalls = d.rootCauses.filter((r) => r.id === 'flow-control-stall');
      assert.equal(stalls.length, 1);
      assert.deepEqual(stalls[0]?.entities, [
        { kind: 'cluster', name: LARGE },
        { kind: 'listener', name: 'home/eg/https' },
        { kind: 'cluster', name: SMALL },
      ]);
      assert.deepEqual(
        stalls[0]?.evidence.filter((f) => f.code === 'upstream-reads-paused').map((f) => f.entity.name),
        [LARGE, SMALL],
      );
      // The listener's buffer limit, once: the clusters' do not move the pause (docs/lab.md).
      assert.deepEqual(
        stalls[0]?.changes.map((c) => c.kind),
        ['listener-buffer-limit'],
      );
    });
  }
  it('root causes of another id, or on other listeners, stay apart', () => {
    const d = (id: string, listener: string, score: number): Diagnosed => ({
      id,
      severity: 'warning',
      confidence: 'medium',
      score,
      snapshot: 'p',
      entities: [{ kind: 'listener', name: listener }],
      evidence: [],
      explains: [],
      checks: [],
      changes: [],
    });
    const merged = mergeOnListeners([d('a', 'l1', 0.5), d('b', 'l1', 0.6), d('a', 'l2', 0.5), d('a', 'l1', 0.7)]);
    assert.deepEqual(
      merged.map((r) => [r.id, r.score, r.entities.map((e) => e.name)]),
      [
        ['a', 0.7, ['l1']],
        ['b', 0.6, ['l1']],
        ['a', 0.5, ['l2']],
      ],
    );
  });
});
