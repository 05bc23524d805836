// Admin endpoints that lie, read by the real client over 127.0.0.1: content types are ignored for content
// detection, an HTML page answered with 200 is named as such, a chunked body that stops is a truncation, gzip
// nobody asked for is never inflated, an endless body hits the size cap, and a slowloris answer hits the deadline.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { AdminClient, AdminError } from '../../src/collect/admin-client.ts';
import { parseConfigDocument } from '../../src/parse/config-document.ts';
import { InputError } from '../../src/parse/input-error.ts';
import { parseStats } from '../../src/parse/stats.ts';
import { gzipBomb, type Lie, startLyingServer } from '../helpers/lying-admin-server.ts';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const INCIDENT = join(ROOT, 'samples/home-assistant-websocket-drops');
const STATS = readFileSync(join(INCIDENT, 'stats.txt'));
const DUMP = readFileSync(join(INCIDENT, 'config_dump.json'));

async function withLie<T>(
  lie: Lie,
  options: ConstructorParameters<typeof AdminClient>[1],
  work: (client: AdminClient, server: Awaited<ReturnType<typeof startLyingServer>>) => Promise<T>,
): Promise<T> {
  const server = await startLyingServer(lie);
  const client = new AdminClient(server.url, { retries: 0, timeoutMs: 5000, ...options });
  try {
    return await work(client, server);
  } finally {
    await client.close();
    await server.close();
  }
}

/** Asserts a one-line error whose message matches. */
function oneLine(pattern: RegExp, type: new (...args: never[]) => Error) {
  return (err: unknown) => {
    assert.ok(err instanceof type, `${(err as Error).name}: ${(err as Error).message}`);
    assert.match(err.message, pattern);
    assert.doesNotMatch(err.message, /[\r\n]/);
    return true;
  };
}

describe('admin endpoints that lie', () => {
  it('JSON served as text/html is still read as a config dump: content, not the header, decides', async () => {
    await withLie({ kind: 'content-type', body: DUMP, contentType: 'text/html' }, {}, async (client) => {
      const body = await client.get('/config_dump', { resource: 'dynamic_active_clusters' });
      const [config] = parseConfigDocument(body, 'admin /config_dump', 'p');
      assert.ok((config?.clusters.size ?? 0) > 0);
    });
  });

  it('text /stats served as application/json is still read as text stats', async () => {
    await withLie({ kind: 'content-type', body: STATS, contentType: 'application/json' }, {}, async (client) => {
      const stats = await parseStats(Readable.from([await client.get('/stats')]), 'admin /stats');
      assert.equal(stats.format, 'text');
      assert.ok(stats.clusters.size > 0);
    });
  });

  it('an HTML page answered with 200 is refused on one line naming the endpoint: "expected Envoy /stats output, got an HTML page"', async () => {
    await withLie({ kind: 'html-200' }, {}, async (client, server) => {
      const source = `${server.url} /stats`;
      await assert.rejects(
        parseStats(Readable.from([await client.get('/stats')]), source),
        oneLine(new RegExp(`^${server.url.replace(/\./g, '\\.')} /stats: expected Envoy /stats output, got an HTML page`), InputError),
      );
      assert.throws(
        () => parseConfigDocument(Buffer.from('<html><body>login</body></html>'), `${server.url} /config_dump`, 'p'),
        oneLine(/\/config_dump: expected an Envoy \/config_dump, got an HTML page/, InputError),
      );
    });
  });

  it('a chunked body that stops before its last chunk is a one-line truncation error', async () => {
    await withLie({ kind: 'chunked-stop', body: STATS }, {}, async (client, server) => {
      await assert.rejects(client.get('/stats'), oneLine(/\/stats: body truncated: the connection closed after \d+ bytes$/, AdminError));
      assert.equal(server.requests[0]?.headers['transfer-encoding'], undefined, 'a GET carries no body');
    });
  });

  it('gzip nobody asked for is never inflated: the client asks for identity, gets the 64 KiB bomb as bytes, and the parser refuses binary data', async () => {
    const inflated = 64 * 1024 * 1024;
    await withLie({ kind: 'gzip-bomb', inflatedBytes: inflated }, { maxBodyBytes: 1024 * 1024 }, async (client, server) => {
      const body = await client.get('/stats');
      assert.equal(server.requests[0]?.headers['accept-encoding'], 'identity');
      assert.equal(body.length, gzipBomb(inflated).length, 'the body is the compressed bytes, not the 64 MiB they stand for');
      assert.ok(body.length < 1024 * 1024);
      await assert.rejects(
        parseStats(Readable.from([body]), `${server.url} /stats`),
        oneLine(/\/stats: binary data; expected Envoy \/stats output/, InputError),
      );
    });
  });

  it('an endless body stops at the size cap with a clear error, and reading stops', async () => {
    await withLie({ kind: 'endless' }, { maxBodyBytes: 1024 * 1024 }, async (client, server) => {
      await assert.rejects(client.get('/stats'), oneLine(/\/stats: body over the 1048576-byte limit$/, AdminError));
      await new Promise((r) => setTimeout(r, 100));
      const after = server.written();
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(server.written() - after < 4 * 1024 * 1024, 'the connection is closed, not drained');
    });
  });

  it('a slowloris answer (one byte every 50 ms, never idle) hits the whole-request deadline, not an idle timeout', async () => {
    await withLie({ kind: 'slowloris', everyMs: 50 }, { timeoutMs: 600 }, async (client) => {
      const started = Date.now();
      await assert.rejects(client.get('/stats'), oneLine(/\/stats: no complete answer within 0\.6s$/, AdminError));
      const took = Date.now() - started;
      assert.ok(took >= 550 && took < 2000, `gave up after ${took} ms`);
    });
  });
});
