// The single-file executable (`npm run build:sea`, sea/build.ts), built into a temporary directory: it runs the
// incident sample as the source does, prints the docs pages and the catalogue from its own assets, runs as a kubectl
// plugin through a link the way krew and Homebrew install it, and the release archive, krew manifest and Homebrew
// formula rendered for it name it by its sha256.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { list as listTar } from 'tar';
import { parse as parseYaml } from 'yaml';
import { REPOSITORY_URL } from '../../src/report/links.ts';
import { archiveName, PLATFORM } from '../../sea/build.ts';
import { ROOT, run } from '../helpers/cli.ts';
import { KUBECTL_SKIP, kubectl } from '../helpers/kubectl.ts';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const INCIDENT = 'samples/home-assistant-websocket-drops';
const SKIP =
  process.platform !== 'linux' || process.arch !== 'x64' ? `the executable is built for ${PLATFORM} only; this is ${process.platform}-${process.arch}` : false;

describe('the single-file executable', { skip: SKIP }, () => {
  let out: string;
  let exe: string;

  before(() => {
    out = mkdtempSync(join(tmpdir(), 'envoy-doctor-sea-'));
    const r = spawnSync(process.execPath, ['sea/build.ts', '--out', out], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, `npm run build:sea failed:\n${r.stdout}${r.stderr}`);
    exe = join(out, 'envoy-doctor');
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  /** Runs the executable from outside the repository, with nothing but PATH in its environment. */
  function sea(args: string[], cwd = out) {
    const r = spawnSync(exe, args, { cwd, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  it('is one file, and prints the version without a Node.js or node_modules beside it', () => {
    assert.ok(statSync(exe).isFile());
    const r = sea(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version);
    assert.equal(r.stderr, '', 'no experimental-feature warning');
  });

  it('diagnoses the incident sample exactly as the source does', async () => {
    const got = sea(['analyze', join(ROOT, INCIDENT), '-o', 'json']);
    const want = await run(['analyze', join(ROOT, INCIDENT), '-o', 'json']);
    assert.equal(got.code, want.code, got.stderr);
    assert.equal(got.code, 79);
    assert.deepEqual(JSON.parse(got.stdout), JSON.parse(want.stdout));
    const ids = (JSON.parse(got.stdout) as { rootCauses: Array<{ id: string }> }).rootCauses.map((c) => c.id);
    assert.deepEqual(ids.slice(0, 3), ['flow-control-stall', 'policy-overridden', 'missing-tcp-keepalive']);
    const table = sea(['analyze', join(ROOT, INCIDENT), '--fail-on', 'none']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /flow-control-stall/);
  });

  it('prints docs pages and the catalogue from its assets', async () => {
    const page = sea(['explain', 'flow-control-stall']);
    assert.equal(page.code, 0, page.stderr);
    assert.equal(page.stdout, (await run(['explain', 'flow-control-stall'])).stdout);
    const list = sea(['list', '-o', 'json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), JSON.parse((await run(['list', '-o', 'json'])).stdout));
    const missing = sea(['explain', 'no-such-id']);
    assert.equal(missing.code, 64);
    assert.match(missing.stderr, /no finding, root cause or analyzer named no-such-id/);
  });

  it('runs as kubectl envoy-doctor through a link named kubectl-envoy_doctor, as krew and Homebrew install it', { skip: KUBECTL_SKIP }, () => {
    const bin = join(out, 'bin');
    mkdirSync(bin);
    symlinkSync(exe, join(bin, 'kubectl-envoy_doctor'));
    const r = kubectl(['envoy-doctor', '--version'], [bin]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version);
  });

  it('is packed alone in the release archive, whose sha256 the krew manifest and the Homebrew formula give', async () => {
    const name = archiveName(pkg.version);
    const archive = join(out, name);
    const entries: Array<{ path: string; mode: number; size: number }> = [];
    await listTar({ file: archive, onReadEntry: (e) => entries.push({ path: e.path, mode: e.mode ?? 0, size: e.size ?? 0 }) });
    assert.deepEqual(
      entries.map((e) => e.path),
      ['envoy-doctor'],
    );
    assert.equal((entries[0]?.mode ?? 0) & 0o777, 0o755);
    assert.equal(entries[0]?.size, statSync(exe).size);
    const sum = createHash('sha256').update(readFileSync(archive)).digest('hex');
    assert.equal(readFileSync(`${archive}.sha256`, 'utf8'), `${sum}  ${name}\n`);
    const url = `${REPOSITORY_URL}/releases/download/v${pkg.version}/${name}`;

    const krew = parseYaml(readFileSync(join(out, 'envoy-doctor.yaml'), 'utf8')) as Record<string, any>;
    assert.equal(krew.apiVersion, 'krew.googlecontainertools.github.com/v1alpha2');
    assert.equal(krew.kind, 'Plugin');
    assert.equal(krew.metadata.name, 'envoy-doctor');
    assert.equal(krew.spec.version, `v${pkg.version}`);
    assert.equal(krew.spec.homepage, REPOSITORY_URL);
    assert.ok(krew.spec.shortDescription.length <= 50, 'krew-index asks for a short description of at most 50 characters');
    assert.deepEqual(krew.spec.platforms, [{ selector: { matchLabels: { os: 'linux', arch: 'amd64' } }, uri: url, sha256: sum, bin: 'envoy-doctor' }]);

    const formula = readFileSync(join(out, 'envoy-doctor.rb'), 'utf8');
    assert.match(formula, /^class EnvoyDoctor < Formula$/m);
    assert.ok(formula.includes(`url "${url}"`), formula);
    assert.ok(formula.includes(`sha256 "${sum}"`), formula);
    assert.ok(formula.includes(`version "${pkg.version}"`), formula);
    assert.match(formula, /bin\.install_symlink "envoy-doctor" => "kubectl-envoy_doctor"/);
    for (const text of [formula, readFileSync(join(out, 'envoy-doctor.yaml'), 'utf8')]) assert.doesNotMatch(text, /\{\{/, 'every template field is filled');
  });
});
