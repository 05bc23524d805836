// The Dockerfile, read statically (no image is built in CI: there is no container engine there): a build stage
// and a small runtime stage, the runtime holding everything package.json ships and nothing it does not need, a
// numeric non-root user, `envoy-doctor` as the entry point, and no secret baked in.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/cli.ts';

interface Instruction {
  op: string;
  args: string;
}

interface Stage {
  from: string;
  name: string;
  instructions: Instruction[];
}

/** Splits the Dockerfile into stages of instructions (comments dropped, continuation lines joined). */
function stagesOf(text: string): Stage[] {
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l));
  const joined = lines.join('\n').replace(/\\\n/g, ' ');
  const stages: Stage[] = [];
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = (m[1] as string).toUpperCase();
    const args = (m[2] as string).trim().replace(/\s+/g, ' ');
    if (op === 'FROM') {
      const f = /^(?:--platform=\S+ )?(\S+)(?: AS (\S+))?$/i.exec(args);
      assert.ok(f, `FROM ${args}`);
      stages.push({ from: f[1] as string, name: f[2] ?? String(stages.length), instructions: [] });
      continue;
    }
    assert.ok(stages.length > 0, `${op} before the first FROM`);
    stages[stages.length - 1]?.instructions.push({ op, args });
  }
  return stages;
}

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const stages = stagesOf(dockerfile);
const runtime = stages[stages.length - 1] as Stage;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[]; bin: Record<string, string> };
const ops = (s: Stage, op: string) => s.instructions.filter((i) => i.op === op).map((i) => i.args);
const workdir = (s: Stage) => ops(s, 'WORKDIR').at(-1) ?? '/';

/** COPY instructions as (from stage or context, sources, destination resolved against WORKDIR). */
function copiesOf(s: Stage): Array<{ from: string | undefined; sources: string[]; dest: string }> {
  return ops(s, 'COPY').map((args) => {
    const parts = args.split(' ');
    const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
    const paths = parts.filter((p) => !p.startsWith('--'));
    const dest = paths.at(-1) as string;
    return { from, sources: paths.slice(0, -1), dest: posix.resolve(workdir(s), dest) };
  });
}

describe('Dockerfile', () => {
  it('builds in one stage and runs from a slim Node.js 24 image in another', () => {
    assert.ok(stages.length >= 2, 'multi-stage');
    const build = stages.find((s) => ops(s, 'RUN').some((r) => /\bnpm ci\b/.test(r) && !/--omit=dev/.test(r)));
    assert.ok(build, 'a stage runs the full npm ci, whose prepare script compiles dist/');
    assert.match(build.from, /^node:24([.-]|$)/);
    assert.notEqual(build, runtime, 'the build stage is not the runtime');
    assert.match(runtime.from, /^node:24[.\d]*-(bookworm-|trixie-)?slim$/);
    assert.ok(!ops(runtime, 'RUN').some((r) => /\bnpm (ci|install|run)\b/.test(r)), 'the runtime stage installs and builds nothing');
  });

  it('the runtime holds only production dependencies', () => {
    const nodeModules = copiesOf(runtime).find((c) => c.dest === posix.join(workdir(runtime), 'node_modules'));
    assert.ok(nodeModules?.from, 'node_modules comes from another stage');
    const deps = stages.find((s) => s.name === nodeModules.from);
    assert.ok(deps, `stage ${nodeModules.from}`);
    assert.ok(
      ops(deps, 'RUN').some((r) => /\bnpm ci\b.*--omit=dev/.test(r)),
      `${deps.name} runs npm ci --omit=dev`,
    );
    for (const c of copiesOf(runtime)) for (const s of c.sources) assert.doesNotMatch(s, /(^|\/)(src|test|bench)\/?$/, `${s} is not shipped`);
  });

  it('copies into the runtime every path package.json ships, and package.json, from stages that have them', () => {
    const app = workdir(runtime);
    const outDir = (JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { outDir: string } }).compilerOptions.outDir;
    const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
    for (const path of [...pkg.files, 'package.json']) {
      const copy = copiesOf(runtime).find(
        (c) =>
          c.dest === posix.join(app, path) ||
          (c.dest === posix.join(app, posix.dirname(path)) && c.sources.length === 1 && posix.basename(c.sources[0] as string) === path),
      );
      assert.ok(copy?.from, `the runtime copies ${path} from a build stage`);
      const source = stages.find((s) => s.name === copy.from) as Stage;
      const src = posix.resolve(workdir(source), copy.sources[0] as string);
      assert.equal(src, posix.join(workdir(source), path), `${path} is copied from where the build stage has it`);
      if (path === outDir) {
        assert.ok(
          ops(source, 'RUN').some((r) => /\bnpm ci\b/.test(r) || /\bnpm run build\b/.test(r)),
          `${source.name} builds ${outDir}/`,
        );
      } else {
        assert.ok(
          tracked.some((f) => f === path || f.startsWith(`${path}/`)),
          `${path} is in the repository`,
        );
        assert.ok(
          copiesOf(source).some((c) => !c.from && c.sources.includes(path)),
          `${source.name} copies ${path} from the build context`,
        );
      }
    }
    // What the code reads at run time beside dist/: explain prints docs/findings and docs/analyzers pages.
    for (const dir of ['docs/findings', 'docs/analyzers'])
      assert.ok(
        tracked.some((f) => f.startsWith(`${dir}/`) && f.endsWith('.md')),
        dir,
      );
    assert.ok(pkg.files.includes('docs'));
  });

  it("puts envoy-doctor on PATH, as package.json's bin, and runs it as the entry point", () => {
    const bin = pkg.bin['envoy-doctor'] as string;
    assert.ok(
      ops(runtime, 'RUN').some((r) => r.includes(`ln -s ${posix.join(workdir(runtime), bin)} /usr/local/bin/envoy-doctor`)),
      'a link on PATH',
    );
    assert.deepEqual(JSON.parse(ops(runtime, 'ENTRYPOINT').at(-1) ?? 'null'), ['envoy-doctor']);
    assert.match(readFileSync(join(ROOT, bin), 'utf8').split('\n')[0] as string, /^#!\/usr\/bin\/env node$/);
    const mode = execFileSync('git', ['ls-files', '-s', bin], { cwd: ROOT, encoding: 'utf8' }).split(' ')[0];
    assert.equal(mode, '100755', `${bin} is executable`);
  });

  it('runs as a numeric non-root user', () => {
    const user = ops(runtime, 'USER').at(-1);
    assert.ok(user, 'USER is set in the runtime stage');
    const [uid, gid] = user.split(':');
    assert.match(uid as string, /^[1-9]\d*$/, 'a numeric uid other than 0');
    if (gid !== undefined) assert.match(gid, /^[1-9]\d*$/, 'a numeric gid other than 0');
    const last = runtime.instructions.findLastIndex((i) => i.op === 'USER');
    assert.ok(!runtime.instructions.slice(last + 1).some((i) => i.op === 'RUN'), 'nothing runs after USER that could need root');
    assert.equal(String(readFileSync(join(ROOT, 'deploy/cronjob.yaml'), 'utf8')).match(/runAsUser: (\d+)/)?.[1], uid, 'deploy/ runs as the same uid');
  });

  it('bakes no secret in: no ARG or ENV with a credential, no webhook URL', () => {
    for (const s of stages) {
      for (const i of s.instructions.filter((x) => x.op === 'ARG' || x.op === 'ENV')) {
        assert.doesNotMatch(i.args, /token|secret|password|passwd|credential|webhook|api[_-]?key|auth/i, `${i.op} ${i.args}`);
      }
    }
    assert.doesNotMatch(dockerfile, /hooks\.slack\.com|https?:\/\/\S+@/);
  });

  it('.dockerignore keeps out dependencies, build output and history, and nothing the build copies', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const must of ['.git', 'node_modules', 'dist']) assert.ok(ignored.includes(must), `.dockerignore has ${must}`);
    assert.ok(!ignored.some((l) => l.startsWith('!')), 'no exceptions to reason about');
    const fromContext = stages.flatMap((s) =>
      copiesOf(s)
        .filter((c) => !c.from)
        .flatMap((c) => c.sources),
    );
    assert.ok(fromContext.length > 0);
    const toRegExp = (glob: string) =>
      new RegExp(
        `^${glob
          .replace(/^\/+/, '')
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*/g, '.*')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]')}(/.*)?$`,
      );
    for (const path of fromContext) {
      const by = ignored.find((g) => toRegExp(g).test(path));
      assert.equal(by, undefined, `${path} is sent to the build, not ignored by ${by}`);
    }
  });
});
