// Nothing from the input becomes a path outside where it belongs: archives with `..`, absolute paths, symbolic and
// hard links are refused and write nothing outside their temporary directory; manifests cannot point outside the
// bundle; and whatever a proxy is called (an --admin URL's host, a --pod name, a namespace), the directory
// `collect -o DIR` files it under is one safe segment inside DIR.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { extractBundleArchive, insideBundle, safeSegment, writeBundleFile } from '../../src/collect/bundle.ts';
import { InputError } from '../../src/parse/input-error.ts';
import { hostileName, settings } from '../property/harness.ts';

/** One ustar entry: a 512-byte header (name, mode, size, type, link target) and the body padded to 512 bytes. */
function tarEntry(name: string, type: '0' | '1' | '2' | '5', body = '', link = ''): Buffer {
  const header = Buffer.alloc(512);
  const put = (text: string, at: number, len: number) => header.write(text, at, len, 'utf8');
  const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, '0');
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(Buffer.byteLength(body), 12), 124, 12);
  put(octal(1_700_000_000, 12), 136, 12);
  put('        ', 148, 8);
  put(type, 156, 1);
  put(link, 157, 100);
  put('ustar\u000000', 257, 8);
  let sum = 0;
  for (const b of header) sum += b;
  put(`${octal(sum, 7)}\u0000 `, 148, 8);
  const data = Buffer.alloc(Math.ceil(Buffer.byteLength(body) / 512) * 512);
  data.write(body);
  return Buffer.concat([header, data]);
}

function tarGz(entries: Buffer[]): Buffer {
  return gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]));
}

describe('archives that try to leave their directory', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-paths-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  const cases: Array<[string, (target: string) => Buffer[], RegExp]> = [
    ['a `..` entry', () => [tarEntry('bundle/', '5'), tarEntry('bundle/../../escaped.txt', '0', 'pwned')], /\(outside the bundle\)|outside plain files/],
    ['an absolute path', (target) => [tarEntry('bundle/', '5'), tarEntry(target, '0', 'pwned')], /outside the bundle|outside plain files/],
    ['a symbolic link', (target) => [tarEntry('bundle/', '5'), tarEntry('bundle/stats.txt', '2', '', target)], /\(link\)/],
    ['a hard link', (target) => [tarEntry('bundle/', '5'), tarEntry('bundle/stats.txt', '1', '', target)], /\(link\)/],
    [
      'a symbolic link followed by a file written through it',
      (target) => [tarEntry('bundle/', '5'), tarEntry('bundle/out', '2', '', resolve(target, '..')), tarEntry('bundle/out/escaped.txt', '0', 'pwned')],
      /\(link\)|outside/,
    ],
  ];
  for (const [name, entries, reason] of cases) {
    it(`${name} is refused with a one-line InputError, and nothing is written outside`, async () => {
      const target = join(dir, `escaped-${name.replace(/\W+/g, '-')}.txt`);
      const archive = join(dir, `${name.replace(/\W+/g, '-')}.tar.gz`);
      await writeFile(archive, tarGz(entries(target)));
      const before = (await readdir(tmpdir())).filter((f) => f.startsWith('envoy-doctor-bundle-')).length;
      await assert.rejects(extractBundleArchive(archive), (err: unknown) => {
        assert.ok(err instanceof InputError, String(err));
        assert.match(err.message, reason);
        assert.doesNotMatch(err.message, /[\r\n]/);
        return true;
      });
      assert.ok(!existsSync(target), `${target} was written`);
      assert.ok(!existsSync(join(dir, 'escaped.txt')));
      assert.ok(!existsSync(join(tmpdir(), 'escaped.txt')));
      const afterCount = (await readdir(tmpdir())).filter((f) => f.startsWith('envoy-doctor-bundle-')).length;
      assert.equal(afterCount, before, 'the temporary copy is removed');
    });
  }

  it('a plain archive of files and directories is extracted', async () => {
    const archive = join(dir, 'plain.tar.gz');
    await writeFile(archive, tarGz([tarEntry('bundle/', '5'), tarEntry('bundle/manifest.json', '0', '{}')]));
    const extracted = await extractBundleArchive(archive);
    try {
      assert.equal(extracted.name, 'bundle');
      assert.deepEqual(await readdir(extracted.root), ['manifest.json']);
    } finally {
      await extracted.cleanup();
    }
  });
});

describe('names that become paths', () => {
  it('manifest paths are refused when absolute or climbing with `..`, in any spelling', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('..', '.', 'a', 'proxies', '', '..%2f', 'b..c'), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        (parts, absolute) => {
          const rel = `${absolute ? '/' : ''}${parts.join('/')}`;
          const root = resolve(tmpdir(), 'bundle-root');
          try {
            const path = insideBundle(root, rel, 'manifest.json');
            assert.ok(!relative(root, path).split(sep).includes('..'), `${rel} -> ${path}`);
            assert.ok(resolve(path) === root || resolve(path).startsWith(`${root}${sep}`), `${rel} -> ${path}`);
          } catch (err) {
            assert.ok(err instanceof InputError, String(err));
          }
        },
      ),
      settings(300, 40),
    );
  });

  it('any proxy id or namespace is one safe path segment: no separator, never `.` or `..`, never empty', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileName,
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.constantFrom('..', '.', '...', '/', '\\', '../../etc', 'C:\\x', '\u0000', 'a/../..'),
        ),
        (name) => {
          const s = safeSegment(name);
          assert.ok(s.length > 0 && s.length <= 200);
          assert.match(s, /^[A-Za-z0-9._-]+$/);
          assert.ok(!s.startsWith('.'), s);
        },
      ),
      settings(500, 41),
    );
  });

  it('collect files every proxy inside -o DIR, whatever its namespace and id', async () => {
    const root = await mkdtemp(join(tmpdir(), 'envoy-doctor-out-'));
    try {
      await fc.assert(
        fc.asyncProperty(hostileName, hostileName, async (namespace, id) => {
          // The layout `collect` writes: proxies/<namespace>/<id>/<file>.
          const rel = join('proxies', safeSegment(namespace), safeSegment(id));
          await writeBundleFile(root, join(rel, 'manifest.json'), '{}');
          const written = resolve(root, rel, 'manifest.json');
          assert.ok(written.startsWith(`${root}${sep}proxies${sep}`), written);
          assert.equal(relative(root, written).split(sep).length, 4);
        }),
        settings(100, 42),
      );
      const top = await readdir(root);
      assert.deepEqual(top, ['proxies']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
