// What a user sees when an input is not what was expected: one line naming their file (never a temporary copy),
// what was expected, the documented exit code; counted notes for lines skipped in a stats file; no multi-line Node
// warnings; the API server's address and why it was not reached; a file that is not a kubeconfig called so.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, run } from '../helpers/cli.ts';

const INCIDENT = 'samples/home-assistant-websocket-drops';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-input-errors-'));
});
after(async () => rm(dir, { recursive: true, force: true }));

/** One line on standard error, no stack trace, and the exit code. */
function oneLine(r: { code: number; stderr: string }, code: number): string {
  assert.equal(r.code, code, r.stderr);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /\bat .+:\d+:\d+/);
  return r.stderr;
}

function tar(archive: string, cwd: string, entry: string): void {
  const r = spawnSync('tar', ['czf', archive, '-C', cwd, entry]);
  assert.equal(r.status, 0, String(r.stderr));
}

describe('lines of a stats file that are not stats', () => {
  it('are counted, and the report says how many and where the first is', async () => {
    const lines = readFileSync(join(ROOT, INCIDENT, 'stats.txt'), 'utf8').split('\n');
    const junk = [...lines.slice(0, 5), 'garbage from a copy and paste', '', '<<< more >>>', ...lines.slice(5)].join('\n');
    const stats = join(dir, 'junk-stats.txt');
    await writeFile(stats, junk);
    const total = junk.split('\n').filter((l) => l.trim() !== '').length;
    const r = await run(['analyze', '--config-dump', `${INCIDENT}/config_dump.json`, '--stats', stats, '--fail-on', 'none']);
    assert.equal(r.code, 0, r.stderr);
    const note = r.stdout
      .replace(/\n {4}/g, ' ')
      .split('\n')
      .find((l) => l.includes('not stats'));
    assert.equal(
      note,
      `  note: ${stats}: 2 of ${total.toLocaleString('en-US')} lines are not stats and were skipped (first: line 6, "garbage from a copy and paste")`,
    );
    const json = JSON.parse((await run(['analyze', '--config-dump', `${INCIDENT}/config_dump.json`, '--stats', stats, '-o', 'json'])).stdout) as {
      findings: Array<{ code: string; evidence: { read?: string } }>;
    };
    assert.ok(
      json.findings.some((f) => f.code === 'optional-read-failed' && f.evidence.read?.includes('2 of')),
      'and in every report, as a finding',
    );
  });
  it('a clean file has no such note', async () => {
    const r = await run(['analyze', '--config-dump', `${INCIDENT}/config_dump.json`, '--stats', `${INCIDENT}/stats.txt`, '--fail-on', 'none']);
    assert.doesNotMatch(r.stdout, /not stats|skipped/);
  });
});

describe('--manifests', () => {
  it('a file where a directory is expected says so: exit 65', async () => {
    const message = oneLine(await run(['analyze', INCIDENT, '--manifests', `${INCIDENT}/manifest.json`]), 65);
    assert.match(message, /^envoy-doctor: samples\/home-assistant-websocket-drops\/manifest\.json: a file, not a directory; expected --manifests DIR/);
  });
  it('a path that does not exist: no such directory', async () => {
    assert.match(oneLine(await run(['analyze', INCIDENT, '--manifests', 'nope']), 65), /^envoy-doctor: nope: no such directory; expected --manifests DIR/);
  });
});

describe('bundle archives', () => {
  it('a problem inside an archive names the archive and the file in it, never the temporary copy', async () => {
    const copy = join(dir, 'bad-manifest', 'incident');
    await mkdir(copy, { recursive: true });
    for (const f of ['config_dump.json', 'stats.txt']) await writeFile(join(copy, f), await readFile(join(ROOT, INCIDENT, f)));
    await writeFile(join(copy, 'manifest.json'), '{not json');
    const archive = join(dir, 'bad-manifest.tar.gz');
    tar(archive, join(dir, 'bad-manifest'), 'incident');
    const message = oneLine(await run(['analyze', archive]), 65);
    assert.ok(message.startsWith(`envoy-doctor: ${archive}:incident/manifest.json: invalid JSON`), message);
    assert.doesNotMatch(message, /envoy-doctor-bundle-/);
  });
  it('what the report says about a file in an archive names the archive too', async () => {
    const copy = join(dir, 'junk-in-archive', 'incident');
    await mkdir(copy, { recursive: true });
    await writeFile(join(copy, 'config_dump.json'), await readFile(join(ROOT, INCIDENT, 'config_dump.json')));
    await writeFile(join(copy, 'stats.txt'), `not a stat\n${await readFile(join(ROOT, INCIDENT, 'stats.txt'), 'utf8')}`);
    const archive = join(dir, 'junk-in-archive.tar.gz');
    tar(archive, join(dir, 'junk-in-archive'), 'incident');
    const r = await run(['analyze', archive, '-o', 'json', '--fail-on', 'none']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /envoy-doctor-bundle-/);
    assert.match(r.stdout, new RegExp(`"stats": "${archive.replace(/[.]/g, '\\.')}:incident/stats\\.txt"`));
  });
  const damaged: Array<[string, (path: string) => Promise<void>, RegExp]> = [
    [
      'random bytes',
      (p) => writeFile(p, Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 37 + 11) % 256))),
      /: not a \.tar\.gz archive, or a damaged one; expected a bundle written by envoy-doctor collect/,
    ],
    [
      'an archive cut short',
      async (p) => {
        tar(`${p}.whole`, join(ROOT, 'samples'), 'home-assistant-websocket-drops');
        await writeFile(p, (await readFile(`${p}.whole`)).subarray(0, 20_000));
      },
      /: cut short: it ends before the archive does/,
    ],
  ];
  for (const [name, make, message] of damaged) {
    it(`${name}: said in words, without the archive library's jargon`, async () => {
      const path = join(dir, `${name.replace(/\W+/g, '-')}.tar.gz`);
      await make(path);
      const text = oneLine(await run(['analyze', path]), 65);
      assert.match(text, message);
      assert.doesNotMatch(text, /base256|TAR_|zlib|Z_BUF/);
    });
  }
});

describe('YAML with directives', () => {
  it('an unknown %directive prints no multi-line Node warning', async () => {
    const yaml = join(dir, 'directive.yaml');
    await writeFile(yaml, '%FOO bar\n---\nconfigs: []\n');
    const r = spawnSync(process.execPath, ['bin/envoy-doctor.js', 'analyze', '--config-dump', yaml], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    assert.equal(r.status, 65);
    assert.doesNotMatch(r.stderr, /YAMLWarning|trace-warnings|\^\^\^/);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  });
});

describe('Kubernetes', () => {
  it('an API server that cannot be reached is named, with the cause: exit 69', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const kubeconfig = join(dir, 'dead-kubeconfig');
    await writeFile(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:${port}'}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\nusers:\n- name: u\n  user: {token: t}\n`,
    );
    const message = oneLine(await run(['diagnose', '--kubeconfig', kubeconfig, '--interval', '0']), 69);
    assert.equal(
      message,
      `envoy-doctor: cannot reach the Kubernetes API server https://127.0.0.1:${port} (connection refused) to list pods in envoy-gateway-system\n`,
    );
  });
  for (const [name, file, why] of [
    ['a config dump', `${INCIDENT}/config_dump.json`, 'no clusters or contexts'],
    ['a Markdown file', 'README.md', 'not YAML'],
  ] as const) {
    it(`${name} given as --kubeconfig: not a kubeconfig, exit 65`, async () => {
      const message = oneLine(await run(['diagnose', '--kubeconfig', file]), 65);
      assert.ok(message.startsWith(`envoy-doctor: --kubeconfig ${file}: not a kubeconfig (${why}`), message);
      assert.match(message, /expected a kubeconfig such as ~\/\.kube\/config\n$/);
    });
  }
});
