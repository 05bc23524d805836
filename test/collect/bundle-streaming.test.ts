// A collected bundle of many proxies is read one proxy at a time: each is diagnosed as it is read and let go, so
// analyze never holds the whole fleet. The result is the one diagnosing them all at once gives.

import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadOffline } from '../../src/collect/files.ts';
import { ROOT, run } from '../helpers/cli.ts';

describe('a collected bundle of many proxies', () => {
  let dir: string;
  const pods = Array.from({ length: 6 }, (_, i) => ({ id: `envoy-home-eg-${i}`, sample: i % 2 === 0 ? 'circuit-breaker-saturation' : 'healthy' }));
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-fleet-bundle-'));
    for (const p of pods) await cp(join(ROOT, 'samples', p.sample), join(dir, 'proxies', p.id), { recursive: true });
    const proxies = pods.map((p) => ({
      id: p.id,
      namespace: 'envoy-gateway-system',
      owner: `deployment envoy-gateway-system/${p.sample}`,
      collected: true,
      dir: `proxies/${p.id}`,
    }));
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify({
        kind: 'envoy-doctor-bundle',
        schemaVersion: 1,
        proxies: [...proxies, { id: 'envoy-home-eg-9', collected: false, reason: 'connection refused' }],
      }),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('hands its proxies over one by one and keeps none of them', async () => {
    const seen: string[] = [];
    const result = await loadOffline({ bundle: dir }, (s) => seen.push(s.id));
    assert.deepEqual(
      seen,
      pods.map((p) => p.id),
    );
    assert.deepEqual(result.snapshots, []);
    assert.deepEqual(
      result.notCollected.map((n) => n.id),
      ['envoy-home-eg-9'],
    );
  });

  it('analyze merges the root causes per owner and lists every proxy', async () => {
    const r = await run(['analyze', dir, '-o', 'json', '--fail-on', 'none']);
    assert.equal(r.code, 69, r.stderr);
    const report = JSON.parse(r.stdout) as {
      snapshots: Array<{ id: string }>;
      rootCauses: Array<{ id: string; seenOn: string[] }>;
      notCollected: Array<{ id: string }>;
    };
    assert.deepEqual(
      report.snapshots.map((s) => s.id),
      pods.map((p) => p.id),
    );
    assert.deepEqual(
      report.rootCauses.map((c) => `${c.id} ${c.seenOn.join(',')}`),
      ['circuit-breaker-saturation envoy-home-eg-0,envoy-home-eg-2,envoy-home-eg-4'],
    );
    assert.deepEqual(
      report.notCollected.map((n) => n.id),
      ['envoy-home-eg-9'],
    );
  });
});
