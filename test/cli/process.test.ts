// The command as a process: analyze and diagnose restart once with the V8 settings Node.js takes only at start, and
// a reader that leaves early (`| head`) stops the command quietly with exit 141.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { restartNodeOptions, V8_START_FLAGS } from '../../src/cli/v8-flags.ts';
import { ROOT } from '../helpers/cli.ts';

const INCIDENT = 'samples/home-assistant-websocket-drops';

describe('restartNodeOptions', () => {
  const table = [
    { args: ['analyze', INCIDENT], execArgv: [], nodeOptions: undefined, want: '--max-semi-space-size=16' },
    { args: ['diagnose', '--admin', 'x'], execArgv: [], nodeOptions: '--max-old-space-size=400', want: '--max-old-space-size=400 --max-semi-space-size=16' },
    // The user's own value is kept, in either spelling, on the command line or in NODE_OPTIONS.
    { args: ['analyze'], execArgv: [], nodeOptions: '--max_semi_space_size=8', want: undefined },
    { args: ['analyze'], execArgv: ['--max-semi-space-size=64'], nodeOptions: undefined, want: undefined },
    // Commands that read no large input start once.
    { args: ['list'], execArgv: [], nodeOptions: undefined, want: undefined },
    { args: ['collect', '--bundle', 'b'], execArgv: [], nodeOptions: undefined, want: undefined },
    { args: [], execArgv: [], nodeOptions: undefined, want: undefined },
  ];
  for (const c of table) {
    it(`${c.args.join(' ') || '(no command)'} with ${c.execArgv.join(' ') || c.nodeOptions || 'no flags'}`, () => {
      assert.equal(restartNodeOptions(c.args, c.execArgv, c.nodeOptions), c.want);
    });
  }
});

describe('the command as a process', () => {
  let scratch: string;
  let probe: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'envoy-doctor-process-'));
    // Loaded by Node.js before the command in every process image: it records the image's pid and NODE_OPTIONS.
    probe = join(scratch, 'probe.mjs');
    await writeFile(
      probe,
      `import { appendFileSync } from 'node:fs';\nappendFileSync(process.env.PROBE_LOG, JSON.stringify([process.pid, process.env.NODE_OPTIONS ?? '']) + '\\n');\n`,
    );
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  /** The images `envoy-doctor ...args` ran as: pid and NODE_OPTIONS of each, and the exit code. */
  async function images(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; runs: [number, string][] }> {
    const log = join(scratch, `${name}.log`);
    const r = spawnSync(process.execPath, ['--import', probe, 'bin/envoy-doctor.js', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, PROBE_LOG: log, ...env },
    });
    const runs = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as [number, string]);
    return { code: r.status, runs };
  }

  it('analyze restarts once, as the same process, with the start flags in NODE_OPTIONS, and reports as before', async () => {
    const { code, runs } = await images('analyze', ['analyze', INCIDENT, '--fail-on', 'none', '-o', 'json']);
    assert.equal(code, 0);
    assert.equal(runs.length, 2);
    assert.equal(runs[0]?.[0], runs[1]?.[0], 'the same pid: the image is replaced, no child is left behind');
    assert.deepEqual(
      runs.map((r) => r[1]),
      ['', V8_START_FLAGS.join(' ')],
    );
  });

  it("keeps the user's NODE_OPTIONS and adds to them", async () => {
    const { runs } = await images('kept', ['analyze', INCIDENT, '--fail-on', 'none'], { NODE_OPTIONS: '--max-old-space-size=512' });
    assert.deepEqual(
      runs.map((r) => r[1]),
      ['--max-old-space-size=512', `--max-old-space-size=512 ${V8_START_FLAGS.join(' ')}`],
    );
  });

  it('starts once when the user set the semi-space, and for commands that read no input', async () => {
    assert.equal((await images('own', ['analyze', INCIDENT, '--fail-on', 'none'], { NODE_OPTIONS: '--max-semi-space-size=32' })).runs.length, 1);
    assert.equal((await images('list', ['list'])).runs.length, 1);
  });

  it('a reader that leaves before the report is written: exit 141, nothing on stderr', async () => {
    const child = spawn(process.execPath, ['bin/envoy-doctor.js', 'analyze', INCIDENT, '-o', 'json'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The reading end closes at once, before the diagnosis is done and its report written.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 141, stderr);
    assert.equal(stderr, '');
  });
});
