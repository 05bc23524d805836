// The npm package as `npm pack` makes it: what it ships (what runs, the docs `explain` prints and the samples, and no
// tests, benchmarks, sources or local paths), and that its tarball, installed in an empty directory, runs the demo
// through npx. Nothing here talks to the registry: the contents come from `npm pack --dry-run`, and the install is
// `npm ci --offline` of the tarball with this repository's locked dependencies, which `npm ci` left in npm's cache.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT } from '../helpers/cli.ts';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  license: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  engines: Record<string, string>;
};

interface Packed {
  filename: string;
  integrity: string;
  files: Array<{ path: string; size: number }>;
}

/** Runs npm with the Node.js of the tests first on PATH, quietly, never asking the registry for more than it must. */
function npm(args: string[], cwd: string) {
  const r = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter),
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
    },
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function pack(args: string[]): Packed {
  // The build is `npm test`'s first step (and `prepare`'s on a real pack), so the scripts are not run again here.
  const r = npm(['pack', '--json', '--ignore-scripts', ...args], ROOT);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as Packed[])[0] as Packed;
}

describe('the npm package', () => {
  const packed = pack(['--dry-run']);
  const paths = packed.files.map((f) => f.path);

  it('ships what runs: the bin, the build, package.json and the README, the docs pages and the samples', () => {
    for (const path of [
      'package.json',
      'README.md',
      'dist/cli/main.js',
      'dist/analyzers/flow-control.js',
      'docs/findings/flow-control-stall.md',
      'samples/home-assistant-websocket-drops/config_dump.json',
    ].concat(Object.values(pkg.bin))) {
      assert.ok(paths.includes(path), `${path} is not packed`);
    }
  });

  it('ships no tests, benchmarks, sources, lab, deploy/, CI or build files', () => {
    const unwanted =
      /^(test|bench|src|lab|sea|packaging|deploy|\.ci|dist-sea|node_modules)\/|^(Dockerfile|tsconfig.*\.json|package-lock\.json|\.[a-z]+ignore)$|\.test\.|\.map$|\.tgz$|\.ts$/;
    assert.deepEqual(
      paths.filter((p) => unwanted.test(p)),
      [],
    );
    assert.ok(packed.files.length < 600, `${packed.files.length} files`);
  });

  it('names no local path: neither this checkout nor the home directory', () => {
    // An absolute path starts the name: `docs/root/...` in a comment is not the home directory /root.
    const local = [ROOT, ...(homedir().length > 1 ? [`${homedir()}/`] : [])].map((l) => new RegExp(`(?<![\\w./-])${l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    for (const path of paths) {
      const text = readFileSync(join(ROOT, path), 'latin1');
      for (const l of local) assert.doesNotMatch(text, l, `${path} names a local path`);
    }
  });

  describe('installed from its tarball in an empty directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'envoy-doctor-npm-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const tarball = pack(['--pack-destination', dir]);
    const project = join(dir, 'empty');
    mkdirSync(project);
    // The repository's lockfile, production dependencies only, under a project that depends on the tarball: npm ci
    // then installs exactly what a user's npx would, from the cache.
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
    const deps = Object.fromEntries(Object.entries(lock.packages).filter(([path, p]) => path !== '' && !p.dev && !p.devOptional));
    const spec = `file:../${tarball.filename}`;
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'try-envoy-doctor', version: '1.0.0', private: true, dependencies: { [pkg.name]: spec } }),
    );
    writeFileSync(
      join(project, 'package-lock.json'),
      JSON.stringify({
        name: 'try-envoy-doctor',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 'try-envoy-doctor', version: '1.0.0', dependencies: { [pkg.name]: spec } },
          [`node_modules/${pkg.name}`]: {
            version: pkg.version,
            resolved: spec,
            integrity: tarball.integrity,
            license: pkg.license,
            dependencies: pkg.dependencies,
            bin: pkg.bin,
            engines: pkg.engines,
          },
          ...deps,
        },
      }),
    );
    const install = npm(['ci', '--offline'], project);
    const skip =
      install.code !== 0 && /ENOTCACHED/.test(install.stderr)
        ? "the dependencies are not in npm's cache (run npm ci first); this test never asks the registry"
        : false;

    it('npm ci --offline installs it and links its bin', { skip }, () => {
      assert.equal(install.code, 0, install.stderr);
    });

    it('npx envoy-doctor runs the demo: the incident sample shipped in the package', { skip }, () => {
      const version = npm(['exec', '--offline', '--', 'envoy-doctor', '--version'], project);
      assert.equal(version.code, 0, version.stderr);
      assert.equal(version.stdout.trim(), pkg.version);
      const demo = npm(
        ['exec', '--offline', '--', 'envoy-doctor', 'analyze', `node_modules/${pkg.name}/samples/home-assistant-websocket-drops`, '--fail-on', 'none'],
        project,
      );
      assert.equal(demo.code, 0, demo.stderr);
      for (const id of ['flow-control-stall', 'policy-overridden', 'missing-tcp-keepalive']) assert.match(demo.stdout, new RegExp(id));
      const plugin = npm(['exec', '--offline', '--', 'kubectl-envoy_doctor', 'explain', 'flow-control-stall'], project);
      assert.equal(plugin.code, 0, plugin.stderr);
      assert.equal(plugin.stdout, readFileSync(join(ROOT, 'docs/findings/flow-control-stall.md'), 'utf8'));
    });
  });
});
