// gzip inputs: decompressed as a stream (named .gz or starting with 1f 8b), with a cap on the decompressed size
// that turns a gzip bomb into a one-line error naming the file and the cap.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { inputChunks, readDocument } from '../../src/collect/read-input.ts';
import { parseConfigDocument } from '../../src/parse/config-document.ts';
import { parseConfigDumpChunks } from '../../src/parse/config-stream.ts';
import { maybeGunzip } from '../../src/parse/gzip.ts';
import { InputError } from '../../src/parse/input-error.ts';
import { parseStats } from '../../src/parse/stats.ts';
import { run } from '../helpers/cli.ts';

const INCIDENT = 'samples/home-assistant-websocket-drops';
let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-gzip-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source) parts.push(c);
  return Buffer.concat(parts);
}

function oneLine(source: string, pattern: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof InputError, String(err));
    assert.ok(err.message.startsWith(`${source}: `), err.message);
    assert.doesNotMatch(err.message, /\n/);
    assert.match(err.message, pattern);
    return true;
  };
}

describe('gzip inputs', () => {
  it('a gzip config dump and gzip stats give the model and sample of the plain files', async () => {
    const dump = await readFile(`${INCIDENT}/config_dump.json`);
    const stats = await readFile(`${INCIDENT}/stats.txt`);
    await writeFile(join(dir, 'config_dump.json.gz'), gzipSync(dump));
    // No .gz in the name: recognised by its magic bytes.
    await writeFile(join(dir, 'stats.txt'), gzipSync(stats));
    const streamed = await parseConfigDumpChunks(inputChunks(join(dir, 'config_dump.json.gz')), 'd', 'p');
    assert.deepEqual(streamed, parseConfigDocument(dump, 'd', 'p'));
    const plainStats = await parseStats(inputChunks(`${INCIDENT}/stats.txt`), 's');
    assert.deepEqual(await parseStats(inputChunks(join(dir, 'stats.txt')), 's'), plainStats);
    assert.deepEqual(await readDocument(join(dir, 'stats.txt')), stats);
  });

  it('decompresses members split at any chunk size, and passes plain input through untouched', async () => {
    const text = Buffer.from(`${'x'.repeat(20_000)}end`);
    for (const size of [1, 2, 5, 4096]) {
      assert.deepEqual(await collect(maybeGunzip(chunks(gzipSync(text), size), 'z')), text);
      assert.deepEqual(await collect(maybeGunzip(chunks(text, size), 'z')), text);
    }
    // Concatenated members (`cat a.gz b.gz`) are one stream.
    assert.equal((await collect(maybeGunzip(chunks(Buffer.concat([gzipSync('ab'), gzipSync('cd')]), 3), 'z'))).toString(), 'abcd');
  });

  it('a gzip bomb stops at the cap with a one-line error naming the file and the cap', async () => {
    // Whitespace inside a dump: JSON up to the cap, so it is the cap that stops it.
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"configs": ['), Buffer.alloc(64 * 1048576, 0x20)]));
    assert.ok(bomb.length < 100_000);
    const path = join(dir, 'bomb.json.gz');
    await writeFile(path, bomb);
    await assert.rejects(
      collect(inputChunks(path, { maxGunzipBytes: 8 * 1048576 })),
      oneLine(path, /decompresses to more than 8 MiB, the limit for gzip input/),
    );
    await assert.rejects(parseConfigDumpChunks(inputChunks(path, { maxGunzipBytes: 8 * 1048576 }), path, 'x'), oneLine(path, /more than 8 MiB/));
    await assert.rejects(readDocument(path, { maxGunzipBytes: 8 * 1048576 }), oneLine(path, /more than 8 MiB/));
  });

  it('damaged gzip and a .gz name on plain data are one-line errors', async () => {
    const truncated = join(dir, 'cut.json.gz');
    await writeFile(truncated, gzipSync(await readFile(`${INCIDENT}/config_dump.json`)).subarray(0, 200));
    await assert.rejects(collect(inputChunks(truncated)), oneLine(truncated, /invalid gzip data .*; expected a complete gzip-compressed file/));
    const plain = join(dir, 'plain.json.gz');
    await writeFile(plain, '{"configs": []}');
    await assert.rejects(collect(inputChunks(plain)), oneLine(plain, /is named \.gz but is not gzip data/));
  });

  it('analyze reads gzip files and gives the same exit code and findings', async () => {
    const dump = join(dir, 'incident.json.gz');
    const stats = join(dir, 'incident.stats.gz');
    await writeFile(dump, gzipSync(await readFile(`${INCIDENT}/config_dump.json`)));
    await writeFile(stats, gzipSync(await readFile(`${INCIDENT}/stats.txt`)));
    const plain = await run(['analyze', '--config-dump', `${INCIDENT}/config_dump.json`, '--stats', `${INCIDENT}/stats.txt`, '-o', 'json']);
    const gz = await run(['analyze', '--config-dump', dump, '--stats', stats, '-o', 'json']);
    assert.equal(gz.stderr, '');
    assert.equal(gz.code, plain.code);
    const codes = (out: string) => (JSON.parse(out) as { rootCauses: Array<{ code: string }> }).rootCauses.map((r) => r.code);
    assert.deepEqual(codes(gz.stdout), codes(plain.stdout));
    assert.ok(codes(gz.stdout).length > 0);
  });
});
