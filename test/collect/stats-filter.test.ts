// The /stats filter `diagnose` sends: every stat the analyzers, rules and verify checks read survives it, and a
// diagnosis from filtered stats is the diagnosis from the whole of /stats.

import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { statsFilter } from '../../src/collect/stats-filter.ts';
import { neededStats } from '../../src/diagnose/stats-to-read.ts';
import { loadOffline } from '../../src/collect/files.ts';
import { diagnose } from '../../src/cli/diagnosis.ts';
import type { Diagnosis } from '../../src/diagnose/diagnose.ts';
import type { Snapshot, StatsSample } from '../../src/model/snapshot.ts';
import { statKey } from '../../src/model/stats-view.ts';
import { filterStats } from '../helpers/admin-server.ts';
import { ROOT } from '../helpers/cli.ts';

const SAMPLES = join(ROOT, 'samples');

/** A map that records every stat key read from it, by entity family. */
class RecordingMap extends Map<string, number> {
  readonly family: string;
  readonly reads: Set<string>;
  constructor(family: string, entries: Iterable<[string, number]>, reads: Set<string>) {
    super(entries);
    this.family = family;
    this.reads = reads;
  }
  override get(key: string): number | undefined {
    this.reads.add(`${this.family} ${key}`);
    return super.get(key);
  }
  override has(key: string): boolean {
    this.reads.add(`${this.family} ${key}`);
    return super.has(key);
  }
  override entries(): MapIterator<[string, number]> {
    this.reads.add(`${this.family} *`);
    return super.entries();
  }
  override values(): MapIterator<number> {
    this.reads.add(`${this.family} *`);
    return super.values();
  }
  override [Symbol.iterator](): MapIterator<[string, number]> {
    this.reads.add(`${this.family} *`);
    return super[Symbol.iterator]();
  }
}

function record(sample: StatsSample | undefined, reads: Set<string>): void {
  if (!sample) return;
  const families = [
    ['cluster', sample.clusters],
    ['http', sample.connectionManagers],
    ['listener', sample.listeners],
    ['tcp', sample.tcpProxies],
  ] as const;
  for (const [family, byEntity] of families) for (const [entity, stats] of byEntity) byEntity.set(entity, new RecordingMap(family, stats, reads));
  for (const agents of sample.userAgents.values()) for (const [agent, stats] of agents) agents.set(agent, new RecordingMap('user-agent', stats, reads));
  sample.other = new RecordingMap('other', sample.other, reads);
}

async function sampleDirs(): Promise<string[]> {
  const entries = await readdir(SAMPLES, { withFileTypes: true });
  const dirs: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const files = await readdir(join(SAMPLES, e.name));
    if (files.includes('stats.txt') && files.includes('config_dump.json')) dirs.push(join(SAMPLES, e.name));
  }
  return dirs.sort();
}

/**
 * What a diagnosis concludes: root causes with their entities and confidence, findings with their entities and
 * evidence. One number is left out: how many stats an entity publishes in all (`present` of needed-stats-missing),
 * which a filtered capture counts among the stats asked for only.
 */
function conclusions(d: Diagnosis) {
  const evidence = (code: string, e: Record<string, unknown>) => JSON.stringify(code === 'needed-stats-missing' ? { ...e, present: 'not compared' } : e);
  return {
    rootCauses: d.rootCauses.map((r) => [r.id, r.severity, r.confidence, r.score, r.entities.map((e) => `${e.kind}:${e.name}`)]),
    findings: d.findings.map((f) => [f.code, f.severity, `${f.entity.kind}:${f.entity.name}`, evidence(f.code, f.evidence)]),
  };
}

const made: string[] = [];
after(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

describe('the /stats filter of diagnose', () => {
  const filter = new RegExp(statsFilter(neededStats()));
  const needed = neededStats();
  // Envoy's names of the stats read, per family, with an entity name holding dots as Istio's do.
  const entity = 'outbound|443||api.shop.svc.cluster.local';
  const fullNames = {
    cluster: needed.cluster.map((s) => `cluster.${entity}.${s}`),
    http: needed.http.map((s) => `http.${entity}.${s}`),
    'user-agent': needed.userAgent.map((s) => `http.ingress_http.user_agent.ios.${s}`),
    tcp: needed.tcp.map((s) => `tcp.${entity}.${s}`),
    listener: (needed.listener ?? []).map((s) => `listener.0.0.0.0_443.${s}`),
  };

  it('uses only what RE2 and ECMAScript read alike: no lookaround, no backreference, no lazy quantifier', () => {
    const source = statsFilter(neededStats());
    assert.doesNotMatch(source, /\(\?|\\[1-9]|[+*]\?/);
    for (const names of Object.values(fullNames)) for (const n of names) assert.match(n, filter, n);
    for (const other of [
      'cluster.a.upstream_cx_connect_ms',
      'server.memory_allocated',
      'http.x.downstream_rq_2xx',
      'cluster_manager.cds.update_success',
      'listener.0.0.0.0_443.downstream_cx_length_ms',
    ]) {
      assert.doesNotMatch(other, filter, `${other} is not read, so not asked for`);
    }
  });

  it('keeps every stat the analyzers, rules and verify checks read on every sample', async () => {
    const reads = new Set<string>();
    for (const dir of await sampleDirs()) {
      const { snapshots } = await loadOffline({ bundle: dir });
      for (const s of snapshots as Snapshot[]) {
        record(s.stats, reads);
        record(s.statsLater, reads);
      }
      await diagnose(snapshots);
    }
    assert.ok(reads.size > 20, 'the samples exercise the analyzers');
    const kept = (family: string, key: string): boolean => {
      if (family === 'other') return needed.prefixes.some((p) => key.startsWith(p));
      const names =
        family === 'cluster'
          ? needed.cluster
          : family === 'http'
            ? needed.http
            : family === 'user-agent'
              ? needed.userAgent
              : family === 'tcp'
                ? needed.tcp
                : family === 'listener'
                  ? (needed.listener ?? [])
                  : [];
      return names.some((n) => statKey(n) === key);
    };
    const lost = [...reads].map((r) => r.split(' ') as [string, string]).filter(([family, key]) => key === '*' || !kept(family, key));
    assert.deepEqual(lost, [], 'read but filtered out (or read by iterating every stat of an entity)');
  });

  it('diagnoses every sample from filtered stats exactly as from the whole of /stats', async () => {
    for (const dir of await sampleDirs()) {
      const parent = await mkdtemp(join(tmpdir(), 'envoy-doctor-filter-'));
      made.push(parent);
      // The same directory name: a proxy read from a directory is named after it.
      const copy = join(parent, basename(dir));
      await cp(dir, copy, { recursive: true });
      let kept = 0;
      let whole = 0;
      for (const file of ['stats.txt', 'stats.later.txt']) {
        const body = await readFile(join(dir, file)).catch(() => undefined);
        if (!body) continue;
        const filtered = filterStats(body, statsFilter(neededStats()));
        whole += body.length;
        kept += filtered.length;
        await writeFile(join(copy, file), filtered);
      }
      assert.ok(kept < whole / 2, `${dir}: the filter keeps ${kept} of ${whole} bytes`);
      const full = await loadOffline({ bundle: dir });
      const filtered = await loadOffline({ bundle: copy });
      assert.deepEqual(conclusions(await diagnose(filtered.snapshots)), conclusions(await diagnose(full.snapshots)), dir);
    }
  });
});
