// `npm run build:sea`: envoy-doctor as one executable file for Linux on amd64, with Node.js's single executable
// applications (https://nodejs.org/api/single-executable-applications.html), and what a release publishes of it.
//
//   1. esbuild bundles sea/entry.ts and everything it imports, from src/ and node_modules, into one CommonJS script
//      (a SEA runs CommonJS in Node.js 24).
//   2. Node.js turns the script and the files the modules read (package.json, the docs pages) into a preparation
//      blob, with a code cache for a faster start.
//   3. postject writes the blob into a copy of the Node.js binary that runs this script: the `node` devDependency,
//      so the executable carries exactly the Node.js the project is tested with.
//   4. The executable is packed as the release archive, and the krew manifest and Homebrew formula of packaging/ are
//      rendered for it, with its sha256.
//
// Everything goes to dist-sea/ (git-ignored):
//   envoy-doctor                                   the executable
//   envoy-doctor-<version>-linux-amd64.tar.gz      the release archive: envoy-doctor alone
//   envoy-doctor-<version>-linux-amd64.tar.gz.sha256
//   envoy-doctor.yaml, envoy-doctor.rb             the krew manifest and Homebrew formula of that archive
//
// `node sea/build.ts --skip-archive` stops after the executable; `--out DIR` writes to DIR instead (the tests do).

import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { create as createTar } from 'tar';
import { REPOSITORY_URL } from '../src/report/links.ts';
import { SEA_MODULE_URL } from './root.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const outAt = argv.indexOf('--out');
const OUT = resolve(ROOT, (outAt >= 0 ? argv[outAt + 1] : undefined) ?? 'dist-sea');
/** The platform a release archive is built for; the executable is the Node.js binary running this script. */
export const PLATFORM = 'linux-amd64';
/** The name Node.js's SEA loader looks for, and the fuse it flips (both from the Node.js documentation). */
const SEA_RESOURCE = 'NODE_SEA_BLOB';
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; description: string; license: string };

/** The release archive's file name for `version`. */
export function archiveName(version: string): string {
  return `envoy-doctor-${version}-${PLATFORM}.tar.gz`;
}

/** The files the bundled modules read under their root, by asset key: package.json (trimmed) and the docs pages. */
function assets(): Record<string, string> {
  const kept = { name: pkg.name, version: pkg.version, description: pkg.description, license: pkg.license };
  const packageJson = join(OUT, 'package.json');
  writeFileSync(packageJson, `${JSON.stringify(kept, null, 2)}\n`);
  const found: Record<string, string> = { 'package.json': packageJson };
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.md') || e.name.endsWith('.json')) found[relative(ROOT, path)] = path;
    }
  };
  walk(join(ROOT, 'docs'));
  return found;
}

/** Runs a step of the build, showing its output only when it fails. */
function quietly(command: string, args: string[]): void {
  const r = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${relative(ROOT, args[0] ?? command)} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}${r.stderr}`);
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A packaging/ template with its {{version}}, {{repository}} and {{sha256 PLATFORM}} fields filled, its opening
 * comment (which is about the template) replaced by a line naming where it comes from. */
export function renderTemplate(template: string, text: string, fields: { version: string; repository: string; sha256: Record<string, string> }): string {
  const body = text.replace(/^(#.*\n)+/, `# envoy-doctor ${fields.version}, rendered by npm run build:sea from ${template}\n`);
  return body.replace(/\{\{(version|repository|sha256 ([a-z0-9-]+))\}\}/g, (_, field: string, platform?: string) => {
    if (platform !== undefined) {
      const sum = fields.sha256[platform];
      if (sum === undefined) throw new Error(`no release archive for ${platform}`);
      return sum;
    }
    return field === 'version' ? fields.version : fields.repository;
  });
}

async function main(): Promise<void> {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(`builds for ${PLATFORM} only, on ${PLATFORM}; this is ${process.platform}-${process.arch}`);
  const started = Date.now();
  mkdirSync(OUT, { recursive: true });
  const script = join(OUT, 'envoy-doctor.cjs');
  await build({
    entryPoints: [join(ROOT, 'sea/entry.ts')],
    outfile: script,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    define: { 'import.meta.url': JSON.stringify(SEA_MODULE_URL) },
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
    // A SEA loads its script from memory: no source map to find.
    sourcemap: false,
  });
  const config = join(OUT, 'sea-config.json');
  const blob = join(OUT, 'sea-prep.blob');
  writeFileSync(config, JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, assets: assets() }, null, 2));
  quietly(process.execPath, ['--experimental-sea-config', config]);
  const exe = join(OUT, 'envoy-doctor');
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  // postject's ELF writer warns about every note section of Node.js's binary; its output is shown when it fails.
  quietly(process.execPath, [join(ROOT, 'node_modules/postject/dist/cli.js'), exe, SEA_RESOURCE, blob, '--sentinel-fuse', SEA_FUSE]);
  for (const f of [script, config, blob, join(OUT, 'package.json')]) rmSync(f);
  const version = execFileSync(exe, ['--version'], { encoding: 'utf8' }).trim();
  if (version !== pkg.version) throw new Error(`the executable says it is ${version}, package.json ${pkg.version}`);
  process.stdout.write(`built ${exe} (Node.js ${process.versions.node}, ${PLATFORM}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  if (argv.includes('--skip-archive')) return;

  // A fixed time and owner in the archive: the same executable always packs to the same bytes.
  const archive = join(OUT, archiveName(pkg.version));
  await createTar({ gzip: true, file: archive, cwd: OUT, portable: true, mtime: new Date(0) }, ['envoy-doctor']);
  const sum = sha256(archive);
  writeFileSync(`${archive}.sha256`, `${sum}  ${archiveName(pkg.version)}\n`);
  const fields = { version: pkg.version, repository: REPOSITORY_URL, sha256: { [PLATFORM]: sum } };
  for (const [template, out] of [
    ['packaging/krew/envoy-doctor.yaml', 'envoy-doctor.yaml'],
    ['packaging/homebrew/envoy-doctor.rb', 'envoy-doctor.rb'],
  ] as const) {
    writeFileSync(join(OUT, out), renderTemplate(template, readFileSync(join(ROOT, template), 'utf8'), fields));
  }
  process.stdout.write(
    `packed ${archive} (sha256 ${sum}), rendered envoy-doctor.yaml (krew) and envoy-doctor.rb (Homebrew) beside it, in ${((Date.now() - started) / 1000).toFixed(1)} s in all\n`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
