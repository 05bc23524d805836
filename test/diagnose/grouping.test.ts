// Mesh scale: one mechanism across many entities of one proxy is one root cause naming them all (a few stay apart,
// each with its own rank), and the table summarises its long lists while the JSON report keeps everything.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { diagnose } from '../../src/cli/diagnosis.ts';
import { groupMechanisms, MAX_APART } from '../../src/diagnose/diagnose.ts';
import type { Diagnosed } from '../../src/model/finding.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { jsonReport, renderJson, writeJsonReport } from '../../src/report/json.ts';
import { MAX_FIXES_PER_FLAVOR, MAX_LISTED, renderTable } from '../../src/report/table.ts';
import { clusterStats, fixture, gatewayCluster, gatewayListener, routeConfig } from '../helpers/snapshot.ts';
import { ROOT } from '../helpers/cli.ts';

const name = (i: number) => `httproute/team/app-${String(i).padStart(3, '0')}/rule/0`;

/**
 * A proxy with `stalled` clusters, each behind a listener of its own, whose reads paused and never resumed (cluster i
 * has 3 + i connections paused, a full 32 KiB buffer each), and `healthy` clusters that never paused.
 */
function mesh(stalled: number, healthy = 2): Snapshot {
  const all = stalled + healthy;
  const stats: Record<string, number> = {};
  for (let i = 0; i < all; i++) {
    const outstanding = i < stalled ? 3 + i : 0;
    Object.assign(
      stats,
      clusterStats(name(i), {
        upstream_flow_control_paused_reading_total: 100 + outstanding,
        upstream_flow_control_resumed_reading_total: 100,
        upstream_cx_active: 40,
        upstream_cx_tx_bytes_buffered: outstanding * 32768,
      }),
    );
  }
  return fixture({
    clusters: Array.from({ length: all }, (_, i) => gatewayCluster(name(i), { per_connection_buffer_limit_bytes: 32768 })),
    listeners: Array.from({ length: all }, (_, i) =>
      gatewayListener({ name: `team/eg/https-${i}`, port: 10000 + i, routeConfig: `rc-${i}`, bufferLimit: 32768 }),
    ),
    routeConfigs: Array.from({ length: all }, (_, i) => routeConfig(`rc-${i}`, [name(i)])),
    stats,
  });
}

const TABLE = { color: false, width: 100, version: '0.0.0-test', policy: { failOn: 'error' as const } };

const stallsOf = (d: Awaited<ReturnType<typeof diagnose>>) => d.rootCauses.filter((r) => r.id === 'flow-control-stall');

describe('one mechanism across a mesh is one root cause', () => {
  it(`up to ${MAX_APART} stalled clusters on their own listeners stay ${MAX_APART} root causes`, async () => {
    const d = await diagnose([mesh(MAX_APART)]);
    assert.equal(stallsOf(d).length, MAX_APART);
  });

  it('twenty stalled clusters are one flow-control-stall naming every cluster and listener, the largest stall first', async () => {
    const d = await diagnose([mesh(20)]);
    const stalls = stallsOf(d);
    assert.equal(stalls.length, 1);
    const [stall] = stalls;
    const clusters = stall?.entities.filter((e) => e.kind === 'cluster').map((e) => e.name) ?? [];
    assert.equal(clusters.length, 20);
    assert.equal(stall?.entities.filter((e) => e.kind === 'listener').length, 20);
    // Strongest first: cluster 19 has the most connections paused.
    assert.deepEqual(clusters.slice(0, 3), [name(19), name(18), name(17)]);
    assert.equal(new Set(clusters).size, 20);
    assert.ok(!clusters.includes(name(20)), 'a healthy cluster is not named');
    const paused = stall?.evidence.filter((f) => f.code === 'upstream-reads-paused') ?? [];
    assert.equal(paused.length, 20);
    // Every listener's buffer limit, each once; no cluster's (it does not move the pause: docs/lab.md).
    assert.equal(stall?.changes.filter((c) => c.kind === 'cluster-buffer-limit').length, 0);
    assert.equal(stall?.changes.filter((c) => c.kind === 'listener-buffer-limit').length, 20);
  });

  it('one fix object per target, carrying every change to it', async () => {
    const d = await diagnose([mesh(20)]);
    const fixes = stallsOf(d)[0]?.fixes ?? [];
    const keys = fixes.map((f) => `${f.flavor}|${f.target}`);
    assert.equal(new Set(keys).size, keys.length, 'no target twice');
    assert.equal(fixes.filter((f) => f.flavor === 'envoy' && f.target.startsWith('listener ')).length, 20);
  });

  it('groups only root causes of one id and one severity on one proxy', () => {
    const d = (id: string, severity: Diagnosed['severity'], snapshot: string, entity: string): Diagnosed => ({
      id,
      severity,
      confidence: 'medium',
      score: 0.6,
      snapshot,
      entities: [{ kind: 'cluster', name: entity }],
      evidence: [],
      explains: [],
      checks: [],
      changes: [],
    });
    const many = (id: string, severity: Diagnosed['severity'], snapshot: string, n: number) =>
      Array.from({ length: n }, (_, i) => d(id, severity, snapshot, `${id}-${severity}-${i}`));
    const grouped = groupMechanisms([
      ...many('a', 'warning', 'p', MAX_APART + 1),
      ...many('a', 'info', 'p', MAX_APART),
      ...many('b', 'warning', 'p', 2),
      ...many('a', 'warning', 'q', MAX_APART + 2),
    ]);
    assert.deepEqual(
      grouped.map((r) => [r.snapshot, r.id, r.severity, r.entities.length]),
      [
        ['p', 'a', 'warning', MAX_APART + 1],
        ...Array.from({ length: MAX_APART }, () => ['p', 'a', 'info', 1]),
        ['p', 'b', 'warning', 1],
        ['p', 'b', 'warning', 1],
        ['q', 'a', 'warning', MAX_APART + 2],
      ],
    );
  });
});

describe('the table summarises long lists; the JSON report keeps them', () => {
  it('the same number of lines for 10 stalled clusters as for 60, and every cluster in the JSON report', async () => {
    const lines: number[] = [];
    for (const n of [10, 60]) {
      const d = await diagnose([mesh(n)]);
      const text = renderTable(d, TABLE);
      lines.push(text.split('\n').length);
      const report = JSON.parse(JSON.stringify(jsonReport(d, { name: 'envoy-doctor', version: '0.0.0-test' }, { failOn: 'error' }))) as {
        rootCauses: Array<{ id: string; entities: unknown[]; evidence: unknown[]; fixes: unknown[] }>;
      };
      const stall = report.rootCauses.find((r) => r.id === 'flow-control-stall');
      assert.equal(stall?.entities.length, 2 * n);
      assert.equal(stall?.fixes.length, stallsOf(d)[0]?.fixes.length);
      assert.ok((stall?.fixes.length ?? 0) >= 2 * n);
    }
    assert.equal(lines[0], lines[1]);
  });

  it(`names the first ${MAX_LISTED} entities, findings and checks and ${MAX_FIXES_PER_FLAVOR} fix objects per flavor, then counts the rest`, async () => {
    const d = await diagnose([mesh(30)]);
    const text = renderTable(d, TABLE);
    const block = text.slice(text.indexOf('ROOT CAUSES'));
    const stall = block.slice(0, block.indexOf('Docs:'));
    // The summary line counts the entities.
    assert.match(text, /flow-control-stall .*\n?.*\(30 clusters, 30 listeners\)/);
    assert.equal((stall.match(/^ {3}on 30 clusters, 30 listeners: /gm) ?? []).length, 1);
    assert.equal((stall.match(/ and 55 more$/gm) ?? []).length, 1);
    const evidence = stall.slice(stall.indexOf('Evidence'), stall.indexOf('Explains'));
    assert.equal((evidence.match(/^ {3}- /gm) ?? []).length, MAX_LISTED + 1);
    const total = stallsOf(d)[0]?.evidence.length ?? 0;
    assert.match(evidence, new RegExp(`\\.\\.\\. and ${total - MAX_LISTED} more findings`));
    assert.equal((stall.match(/^ {3}Fix \(plain Envoy\)/gm) ?? []).length, MAX_FIXES_PER_FLAVOR);
    assert.equal((stall.match(/^ {3}Fix \(Envoy Gateway\)/gm) ?? []).length, MAX_FIXES_PER_FLAVOR);
    const fixes = stallsOf(d)[0]?.fixes.length ?? 0;
    assert.match(stall, new RegExp(`\\.\\.\\. and ${fixes - 2 * MAX_FIXES_PER_FLAVOR} more fix objects`));
  });

  it('the JSON report is written in pieces, one per finding and root cause, the same bytes as one JSON.stringify', async () => {
    const tool = { name: 'envoy-doctor', version: '0.0.0-test' };
    for (const d of [await diagnose([mesh(12)]), await diagnose([mesh(0, 1)]), { snapshots: [], findings: [], rootCauses: [], notCollected: [] }]) {
      const whole = `${JSON.stringify(jsonReport(d, tool, { failOn: 'error' }), null, 2)}\n`;
      assert.equal(renderJson(d, tool, { failOn: 'error' }), whole);
      const pieces: string[] = [];
      writeJsonReport(d, tool, { failOn: 'error' }, (piece) => pieces.push(piece));
      assert.ok(pieces.length >= d.findings.length + d.rootCauses.length);
      assert.equal(pieces.join(''), whole);
    }
  });

  it('the grouped report matches docs/json-schema.json', async () => {
    const schema = JSON.parse(readFileSync(`${ROOT}/docs/json-schema.json`, 'utf8')) as object;
    const validate = new Ajv2020({ allErrors: true, allowUnionTypes: true }).compile(schema);
    const d = await diagnose([mesh(12)]);
    assert.ok(
      validate(JSON.parse(JSON.stringify(jsonReport(d, { name: 'envoy-doctor', version: '0.0.0-test' }, { failOn: 'error' })))),
      JSON.stringify(validate.errors),
    );
  });
});
