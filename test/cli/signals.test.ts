// Ctrl-C and a stopped pod: a real envoy-doctor process stopped by SIGINT or SIGTERM while it waits for the second
// stats sample removes its temporary directories (the stats and config dumps it collected) and exits 130 or 143.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AdminServer, startAdminServer } from '../helpers/admin-server.ts';
import { ROOT } from '../helpers/cli.ts';

const INCIDENT = 'samples/home-assistant-websocket-drops';

/** Polls until `check` holds, for at most `ms`. */
async function until(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(50);
  }
}

describe('stopped by a signal', () => {
  let server: AdminServer;
  let scratch: string;
  before(async () => {
    server = await startAdminServer({ dir: INCIDENT });
    scratch = await mkdtemp(join(tmpdir(), 'envoy-doctor-signals-'));
  });
  after(async () => {
    await server.close();
    await rm(scratch, { recursive: true, force: true });
  });

  const cases = [
    { signal: 'SIGINT', code: 130, command: ['diagnose'], prefix: 'envoy-doctor-live-' },
    { signal: 'SIGTERM', code: 143, command: ['diagnose'], prefix: 'envoy-doctor-live-' },
    { signal: 'SIGINT', code: 130, command: ['collect', '--bundle', 'BUNDLE'], prefix: 'envoy-doctor-collect-' },
    { signal: 'SIGTERM', code: 143, command: ['collect', '--bundle', 'BUNDLE'], prefix: 'envoy-doctor-collect-' },
  ] as const;
  for (const c of cases) {
    it(`${c.command[0]}, ${c.signal}: the ${c.prefix}* directory is gone and the exit code is ${c.code}`, async () => {
      const temp = await mkdtemp(join(scratch, 'tmp-'));
      const command = c.command.map((a) => (a === 'BUNDLE' ? join(scratch, `${c.signal}.tar.gz`) : a));
      // A long interval: the process is stopped while the first sample waits for the second.
      const child = spawn(process.execPath, ['bin/envoy-doctor.js', ...command, '--admin', server.url, '--interval', '5m'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, TMPDIR: temp },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const ours = async () => (await readdir(temp)).filter((n) => n.startsWith(c.prefix));
      // Waiting for the second sample: the first was read (the server saw /stats) and the directory exists.
      await until(async () => server.requests.some((r) => r.url.startsWith('/stats')) && (await ours()).length === 1);
      await sleep(200);
      if (c.command[0] === 'collect') {
        const [dir] = await ours();
        const files = await readdir(join(temp, dir as string), { recursive: true });
        assert.ok(
          files.some((f) => f.includes('stats')),
          `collected stats are on disk before the signal: ${files.join(', ')}`,
        );
      }
      child.kill(c.signal);
      assert.equal(await exited, c.code, stderr);
      assert.deepEqual(await ours(), [], 'no temporary directory is left');
      server.requests.length = 0;
    });
  }
});
