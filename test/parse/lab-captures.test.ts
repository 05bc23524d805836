// Real Envoy output, recorded by the lab (`npm run lab -- --record`, test/fixtures/lab/<scenario>/): the three
// /stats formats of one Envoy, read back to back, must give the same model (every entity, every value, every
// histogram), and its /config_dump and /server_info must read with the version and resources Envoy reported.
// The admin's own connection manager and listener are left out: each read of /stats moves them.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { StatsSample } from '../../src/model/snapshot.ts';
import { parseStatsString } from '../helpers/stats-string.ts';
import { parseConfigDocument } from '../../src/parse/config-document.ts';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'lab');
const CAPTURES = existsSync(DIR) ? readdirSync(DIR).filter((d) => existsSync(join(DIR, d, 'stats.txt'))) : [];

/** The admin's stats move with every read; everything else is still once the lab's load has stopped. */
const MOVING = /^(admin|0\.0\.0\.0_0|127\.0\.0\.1_\d+)$/;

type Scoped = Map<string, Map<string, number>>;

function flat(sample: StatsSample): Map<string, number> {
  const out = new Map<string, number>();
  const add = (scope: string, m: Scoped) => {
    for (const [entity, stats] of m) if (!MOVING.test(entity) || scope === 'cluster') for (const [k, v] of stats) out.set(`${scope}|${entity}|${k}`, v);
  };
  add('cluster', sample.clusters);
  add('http', sample.connectionManagers);
  add('listener', new Map([...sample.listeners].filter(([name]) => !isAdminListener(name))));
  add('tcp', sample.tcpProxies);
  for (const [prefix, agents] of sample.userAgents) for (const [agent, stats] of agents) for (const [k, v] of stats) out.set(`ua|${prefix}|${agent}|${k}`, v);
  return out;
}

let adminAddress = '';
function isAdminListener(name: string): boolean {
  return name === adminAddress;
}

/** Histograms with recorded values, by key, excluding the admin's. */
function recorded(sample: StatsSample, format: string): Map<string, number | undefined> {
  const out = new Map<string, number | undefined>();
  for (const [key, h] of sample.histograms) {
    if (/admin/.test(key)) continue;
    if (format === 'prometheus') {
      if ((h.count ?? 0) > 0) out.set(key, h.count);
    } else if (h.quantiles.some((q) => q.cumulative !== null)) out.set(key, undefined);
  }
  return out;
}

describe('lab captures of a real Envoy', { skip: CAPTURES.length === 0 ? 'no lab captures (npm run lab -- --record)' : false }, () => {
  for (const name of CAPTURES) {
    const dir = join(DIR, name);
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');

    it(`${name}: text, ?format=json and Prometheus stats give the same entities and values`, async () => {
      const text = await parseStatsString(read('stats.txt'), 'stats.txt');
      const json = await parseStatsString(read('stats.json'), 'stats.json');
      const prom = await parseStatsString(read('stats.prom'), 'stats.prom');
      assert.deepEqual([text.format, json.format, prom.format], ['text', 'json', 'prometheus']);
      adminAddress =
        [...text.listeners.keys()].find(
          (l) => (text.listeners.get(l)?.get('downstream_cx_total') ?? 0) > 0 && /^127\.0\.0\.1_/.test(l) && !text.connectionManagers.has('web'),
        ) ?? '';
      const t = flat(text);
      const j = flat(json);
      const p = flat(prom);
      // Every entity stat Envoy listed, in each format (a stats matcher may leave none: stats-unavailable).
      const listed = read('stats.txt')
        .split('\n')
        .filter(
          (l) =>
            /^(cluster|http|listener|tcp)\./.test(l) && !/^(http\.admin|listener\.(0\.0\.0\.0|127\.0\.0\.1)_\d+)\./.test(l) && !/: (P0|No recorded)/.test(l),
        );
      assert.equal([...t.keys()].filter((k) => !k.startsWith('listener|')).length, listed.filter((l) => !l.startsWith('listener.')).length, 'text');
      const differ = (a: Map<string, number>, b: Map<string, number>) =>
        [...new Set([...a.keys(), ...b.keys()])].filter((k) => !/^listener\|/.test(k) && a.get(k) !== b.get(k)).slice(0, 10);
      assert.deepEqual(differ(t, j), [], 'text and JSON differ');
      assert.deepEqual(differ(t, p), [], 'text and Prometheus differ');
    });

    it(`${name}: the same histograms carry values in every format`, async () => {
      const text = recorded(await parseStatsString(read('stats.txt'), 'stats.txt'), 'text');
      const json = recorded(await parseStatsString(read('stats.json'), 'stats.json'), 'json');
      const prom = recorded(await parseStatsString(read('stats.prom'), 'stats.prom'), 'prometheus');
      assert.ok(text.size > 0, 'a histogram with values');
      assert.deepEqual([...json.keys()].sort(), [...text.keys()].sort());
      assert.deepEqual([...prom.keys()].sort(), [...text.keys()].sort());
    });

    it(`${name}: the config dump reads with the version /server_info reports`, () => {
      const info = JSON.parse(read('server_info.json')) as { version: string };
      const version = info.version.split('/')[1];
      const [first, ...more] = parseConfigDocument(Buffer.from(read('config_dump.json')), 'config_dump.json', name);
      assert.equal(more.length, 0);
      assert.equal(first?.envoyVersion, version);
      assert.ok((first?.clusters.size ?? 0) > 0 && (first?.listeners.length ?? 0) > 0);
    });
  }
});
