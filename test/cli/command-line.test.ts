// The command line as a user types it: defaults shown the way they are typed and accepted when typed, options that
// only mean something with another rejected without it, -o as the report format everywhere, `version`, shell
// completion, and runs that read no proxy.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TOOL } from '../../src/cli/io.ts';
import { run } from '../helpers/cli.ts';

const INCIDENT = 'samples/home-assistant-websocket-drops';

/** A port on 127.0.0.1 nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('--help', () => {
  for (const command of ['analyze', 'diagnose', 'collect']) {
    it(`${command}: every duration default is shown as typed, and is accepted when typed`, async () => {
      const help = (await run([command, '--help'])).stdout.replace(/\n\s+/g, ' ');
      const defaults = [...help.matchAll(/(--[a-z-]+) <duration>[^(]*\(default: ([^)]+)\)/g)].map((m) => [m[1] as string, m[2] as string] as const);
      assert.ok(defaults.length >= (command === 'analyze' ? 3 : 3), `${command}: ${defaults.map((d) => d.join(' ')).join(', ')}`);
      for (const [flag, value] of defaults) {
        assert.match(value, /^\d+(ms|s|m|h)$/, `${flag} shows ${value}`);
        // Options are parsed before help is printed: a value the parser refuses fails with 64.
        const parents = flag.startsWith('--push')
          ? ['--push', 'http://127.0.0.1:9']
          : ['--renotify', '--post-timeout'].includes(flag)
            ? ['--post', 'webhook']
            : [];
        const typed = await run([command, ...parents, flag, value, '--help']);
        assert.equal(typed.code, 0, `${flag} ${value}: ${typed.stderr}`);
      }
    });
  }
});

describe('help fits the terminal', () => {
  for (const columns of [80, 120]) {
    it(`COLUMNS=${columns}: no line of diagnose --help is wider`, async () => {
      const lines = (await run(['diagnose', '--help'], { env: { COLUMNS: String(columns) } })).stdout.split('\n');
      assert.ok(
        lines.every((l) => l.length <= columns),
        lines.find((l) => l.length > columns),
      );
      assert.ok(
        lines.some((l) => l.length > columns - 15),
        'and uses the width',
      );
    });
  }
});

describe('options that need another option', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--push-instance', 'prod'], /^envoy-doctor: --push-instance only applies with --push: add --push URL/],
    [['--push-timeout', '5s'], /^envoy-doctor: --push-timeout only applies with --push/],
    [['--renotify', '12h'], /^envoy-doctor: --renotify only applies with --post: add --post slack or --post webhook/],
    [['--post-timeout', '5s'], /^envoy-doctor: --post-timeout only applies with --post/],
    [['--post-min-severity', 'error'], /^envoy-doctor: --post-min-severity only applies with --post/],
  ];
  for (const [args, message] of cases) {
    it(`${args.join(' ')} alone: exit 64 with one line`, async () => {
      const r = await run(['analyze', INCIDENT, ...args]);
      assert.equal(r.code, 64);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.equal(r.stdout, '', 'nothing was analyzed');
    });
  }
  it('the same options with their parent are accepted', async () => {
    const r = await run(['analyze', INCIDENT, '--fail-on', 'none', '--push-timeout', '5s', '--push', 'http://127.0.0.1:9', '--push-instance', 'prod']);
    assert.equal(r.code, 74, 'the push fails (nothing listens), which is no usage error');
  });
});

describe('version and completion', () => {
  it('envoy-doctor version prints the version, as --version does', async () => {
    const r = await run(['version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${TOOL.version}\n`);
  });
  it('completion bash completes commands, options, choices and ids in a real bash', async () => {
    const script = (await run(['completion', 'bash'])).stdout;
    const complete = (...words: string[]) => {
      const r = spawnSync(
        'bash',
        [
          '--norc',
          '-c',
          `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _envoy_doctor; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.split('\n').filter((l) => l !== '');
    };
    assert.deepEqual(complete('envoy-doctor', 'ana'), ['analyze']);
    assert.deepEqual(complete('envoy-doctor', 'v'), ['version']);
    assert.deepEqual(complete('envoy-doctor', 'analyze', '-o', ''), ['table', 'wide', 'json', 'markdown', 'html']);
    assert.deepEqual(complete('envoy-doctor', 'diagnose', '--fail-on', 'w'), ['warning']);
    assert.deepEqual(complete('envoy-doctor', 'collect', '--bun'), ['--bundle']);
    assert.deepEqual(complete('envoy-doctor', 'collect', '--ou'), [], 'the old name is not offered');
    assert.deepEqual(complete('envoy-doctor', 'explain', 'flow-control-s'), ['flow-control-stall']);
    assert.ok(complete('envoy-doctor', 'analyze', '--post-m').includes('--post-min-severity'));
    assert.deepEqual(complete('envoy-doctor', 'diagnose', '--post', ''), ['slack', 'webhook']);
  });
  it('completion zsh wraps the same function for zsh', async () => {
    const r = await run(['completion', 'zsh']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^#compdef envoy-doctor\n/);
    assert.match(r.stdout, /bashcompinit/);
    assert.match(r.stdout, /complete -o default -F _envoy_doctor envoy-doctor/);
  });
  it('completion of another shell: exit 64', async () => {
    const r = await run(['completion', 'fish']);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /Allowed choices are bash, zsh/);
  });
});

describe('a run that reads no proxy', () => {
  let port: number;
  let dir: string;
  before(async () => {
    port = await deadPort();
    dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-test-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  for (const format of ['table', 'wide', 'markdown', 'html']) {
    it(`diagnose --admin of a dead port, -o ${format}: says nothing was diagnosed and exits 69`, async () => {
      const r = await run(['diagnose', '--admin', `http://127.0.0.1:${port}`, '--retries', '0', '-o', format]);
      assert.equal(r.code, 69);
      assert.doesNotMatch(r.stdout, /no root cause/i);
      assert.match(r.stdout, /nothing diagnosed/i);
      assert.match(r.stdout, new RegExp(`127\\.0\\.0\\.1:${port}.*connection refused`));
    });
  }
  it('the table says what 69 means', async () => {
    const r = await run(['diagnose', '--admin', `http://127.0.0.1:${port}`, '--retries', '0', '--force-exit-zero']);
    assert.equal(r.code, 69, '--force-exit-zero keeps 69 when no proxy was read');
    assert.ok(r.stdout.split('\n').includes('exit 69: the proxy could not be collected'), r.stdout);
  });
  it('collect of no proxy exits 69, and analyze of that bundle says nothing was diagnosed and exits 69', async () => {
    for (const [flag, name] of [
      ['--bundle', 'new'],
      ['--out', 'old'],
      ['-o', 'short'],
    ] as const) {
      const path = join(dir, name);
      const collected = await run(['collect', '--admin', `http://127.0.0.1:${port}`, '--retries', '0', flag, path]);
      assert.equal(collected.code, 69, `${flag}: ${collected.stderr}`);
      assert.match(collected.stderr, /collected 0 of 1 proxies/);
      assert.ok(existsSync(join(path, 'manifest.json')), `${flag} names the bundle`);
      const analyzed = await run(['analyze', path]);
      assert.equal(analyzed.code, 69);
      assert.doesNotMatch(analyzed.stdout, /no root cause/i);
      assert.match(analyzed.stdout, /^NOTHING DIAGNOSED$/m);
    }
  });
  it('collect without a bundle path, or with two: exit 64', async () => {
    assert.match((await run(['collect', '--admin', `http://127.0.0.1:${port}`])).stderr, /^envoy-doctor: collect needs --bundle PATH/);
    const both = await run(['collect', '--admin', `http://127.0.0.1:${port}`, '--bundle', join(dir, 'a'), '-o', join(dir, 'b')]);
    assert.equal(both.code, 64);
  });
});
