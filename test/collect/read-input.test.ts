// Inputs read again from their start: only regular files can be, and a config dump given as a file is read by its
// layout first, then in full when that fails, with the same result either way.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadOffline } from '../../src/collect/files.ts';
import { rereadChunks } from '../../src/collect/read-input.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { ROOT } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'envoy-doctor-reread-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function bytesOf(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

describe('rereadChunks', () => {
  it('reads a regular file again from its start, gzip decompressed as the first read was', async () => {
    const file = join(dir, 'dump.json.gz');
    writeFileSync(file, gzipSync('{"configs": []}'));
    const reread = await rereadChunks(file);
    assert.ok(reread);
    assert.equal((await bytesOf(reread())).toString(), '{"configs": []}');
    assert.equal((await bytesOf(reread())).toString(), '{"configs": []}');
  });

  it('cannot read standard input, a pipe, a directory or a missing file again', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const path of ['-', fifo, dir, join(dir, 'missing.json')]) assert.equal(await rereadChunks(path), undefined, path);
  });
});

describe('a config dump file with endpoints', () => {
  // A sample's dump with EDS added, laid out as Envoy prints it; and the same with a line inside the endpoints at
  // the indentation of their key, which no printer writes but which is valid JSON.
  const sample = JSON.parse(readFileSync(join(ROOT, 'samples/home-assistant-websocket-drops/config_dump.json'), 'utf8')) as { configs: unknown[] };
  sample.configs.push({
    '@type': 'type.googleapis.com/envoy.admin.v3.EndpointsConfigDump',
    dynamic_endpoint_configs: Array.from({ length: 50 }, (_, i) => ({
      endpoint_config: {
        cluster_name: `c${i}`,
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 80 } } } }] }],
      },
    })),
  });
  const pretty = JSON.stringify(sample, null, 1);
  const odd = pretty.replace('"lb_endpoints": [', '"lb_endpoints": [\n   ],\n   "x": [');

  it('reads the same proxy whatever its layout, from a file or from standard input', async () => {
    const prettyFile = join(dir, 'pretty.json');
    const oddFile = join(dir, 'odd.json');
    writeFileSync(prettyFile, pretty);
    writeFileSync(oddFile, odd);
    assert.notEqual(pretty, odd);
    const read = async (configDump: string) => {
      const snapshots = (await loadOffline({ configDump })).snapshots as Snapshot[];
      return snapshots.map((s) => ({ ...s, inputs: undefined }));
    };
    const expected = await read(prettyFile);
    assert.deepEqual(
      [...(expected[0]?.clusters.keys() ?? [])],
      ['prometheus_stats', 'home/eg', 'xds_cluster', 'httproute/home/frigate/rule/0', 'httproute/home/home-assistant-app/rule/0'],
    );
    assert.deepEqual(await read(oddFile), expected);
    // From a pipe nothing is skipped by layout, so nothing needs reading again.
    const fifo = join(dir, 'odd.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = import('node:fs/promises').then(async ({ writeFile }) => writeFile(fifo, odd));
    const fromPipe = await read(fifo);
    await writer;
    assert.deepEqual(fromPipe, expected);
  });
});
