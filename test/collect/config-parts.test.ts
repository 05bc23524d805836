// One /config_dump document joined, as a stream, from a proxy's per-resource answers: Envoy's layout streamed
// through, empty answers adding nothing, other layouts read whole, answers cut short refused by name.

import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONFIG_DUMP_RESOURCES } from '../../src/collect/admin-client.ts';
import { type BodyStore, fileStore, MemoryBudget, memoryStore, spillStore } from '../../src/collect/body-stores.ts';
import { configDumpChunks } from '../../src/collect/config-dump-parts.ts';
import { InputError } from '../../src/parse/input-error.ts';

const BASE = 'http://127.0.0.1:9901';

/** Chunks of `size` bytes, as a body arrives from the network. */
async function* chunked(body: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(body);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Stores the answers (in memory in chunks of `size` bytes, or as files) and joins them. */
async function joined(store: BodyStore, bodies: string[], serverInfo?: string, size = 777): Promise<string> {
  const configParts = await Promise.all(
    bodies.map(async (body, i) => {
      const name = `config_dump.${CONFIG_DUMP_RESOURCES[i]}.json`;
      await store.write(name, chunked(body, size));
      return name;
    }),
  );
  const parts: Buffer[] = [];
  const proxy = { body: (name: string) => store.read(name), configParts, ...(serverInfo ? { serverInfo: Buffer.from(serverInfo) } : {}) };
  for await (const c of configDumpChunks(proxy, BASE)) parts.push(c);
  return Buffer.concat(parts).toString('utf8');
}

function cluster(i: number) {
  return {
    '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump.DynamicCluster',
    cluster: { name: `httproute/shop/web-${i}/rule/0`, note: ']}'.repeat(i % 3) },
  };
}

describe('a store that spills to disk past its memory budget', () => {
  it('keeps bodies in memory while they fit, writes the rest to files, and gives the budget back on release', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-spill-'));
    try {
      const budget = new MemoryBudget(100);
      const a = spillStore(join(dir, 'a'), budget);
      const b = spillStore(join(dir, 'b'), budget);
      await a.write('stats.txt', chunked('x'.repeat(60), 7));
      await b.write('stats.txt', chunked('y'.repeat(80), 7));
      assert.deepEqual(await readdir(dir), ['b'], 'only the body over the budget is on disk');
      const text = async (s: BodyStore) => {
        const parts: Buffer[] = [];
        for await (const c of s.read('stats.txt')) parts.push(c);
        return Buffer.concat(parts).toString();
      };
      assert.equal(await text(a), 'x'.repeat(60));
      assert.equal(await text(b), 'y'.repeat(80));
      assert.equal(budget.take(41), false, '60 of 100 bytes are held');
      a.release();
      assert.equal(budget.take(100), true, 'released');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('joining per-resource config dump answers', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-parts-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it("streams Envoy's layout through, across read chunks, with the node first and no stray commas", async () => {
    // 3,000 entries make an answer of several read chunks; Envoy indents with one space.
    const many = Array.from({ length: 3000 }, (_, i) => cluster(i));
    const bodies = [
      JSON.stringify({ configs: [] }, null, 1),
      `${JSON.stringify({ configs: many }, null, 1)}\n`,
      '{}',
      JSON.stringify({ configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump.DynamicListener', name: 'l' }] }),
      ' {\n "configs": [\n ]\n}\n',
      JSON.stringify({ configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump.DynamicRouteConfig' }] }, null, 1),
    ];
    const node = JSON.stringify({ node: { id: 'router~10.0.0.1~envoy-0.ns~ns.svc.cluster.local' } });
    for (const [store, size] of [
      [memoryStore(), 777],
      [memoryStore(), 7],
      [fileStore(join(dir, 'files')), 777],
    ] as const) {
      const doc = JSON.parse(await joined(store, bodies, node, size)) as { configs: Array<Record<string, unknown>> };
      assert.equal(doc.configs.length, 1 + 3000 + 1 + 1);
      assert.match(String(doc.configs[0]?.['@type']), /BootstrapConfigDump$/);
      assert.deepEqual(doc.configs.slice(1, 3001), many);
      assert.equal(doc.configs[3001]?.name, 'l');
    }
  });

  it('reads an answer in another layout whole, and adds nothing for one without entries', async () => {
    const other = JSON.stringify({ version: 1, configs: [cluster(1)] });
    const doc = JSON.parse(await joined(memoryStore(), ['{ }', other, '{"configs":[]}'])) as { configs: unknown[] };
    assert.deepEqual(doc.configs, [cluster(1)]);
  });

  it('refuses an answer cut short or not JSON, naming its endpoint', async () => {
    const cut = JSON.stringify({ configs: [cluster(1), cluster(2)] }, null, 1).slice(0, -10);
    await assert.rejects(
      joined(memoryStore(), [cut]),
      (err: unknown) => err instanceof InputError && /config_dump\?resource=static_clusters: truncated/.test(err.message),
    );
    await assert.rejects(
      joined(memoryStore(), ['{}', '<html>503</html>']),
      (err: unknown) => err instanceof InputError && /config_dump\?resource=dynamic_active_clusters: not JSON/.test(err.message),
    );
  });
});
