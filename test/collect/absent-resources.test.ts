// A proxy that holds no resource of a kind (a proxy of TCP proxies alone has no route configurations): Envoy answers
// that /config_dump?resource= with 404, and the live reads take it as empty instead of failing the proxy.

import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startAdminServer } from '../helpers/admin-server.ts';
import { run } from '../helpers/cli.ts';

const SAMPLE = 'samples/passthrough-idle-timeout';

/** The sample with some top-level config dumps left out, as a proxy directory. */
function without(types: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'envoy-doctor-absent-'));
  const dump = JSON.parse(readFileSync(join(SAMPLE, 'config_dump.json'), 'utf8')) as { configs: Array<{ '@type': string }> };
  dump.configs = dump.configs.filter((c) => !types.some((t) => c['@type'].endsWith(`.${t}`)));
  writeFileSync(join(dir, 'config_dump.json'), JSON.stringify(dump));
  for (const f of ['stats.txt', 'stats.later.txt']) copyFileSync(join(SAMPLE, f), join(dir, f));
  return dir;
}

describe('diagnose --admin and collect: resources Envoy answers 404 for', () => {
  const cases = [
    { name: 'no route configurations', absent: ['RoutesConfigDump'] },
    { name: 'everything present', absent: [] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const dir = without(c.absent);
      const server = await startAdminServer({ dir });
      try {
        const r = await run(['diagnose', '--admin', server.url, '--interval', '0', '-o', 'json', '--fail-on', 'none']);
        const report = JSON.parse(r.stdout) as { notCollected: unknown[]; snapshots: unknown[]; rootCauses: Array<{ id: string }> };
        assert.equal(r.code, 0);
        assert.deepEqual(report.notCollected, []);
        assert.equal(report.snapshots.length, 1);
        assert.equal(report.rootCauses[0]?.id, 'passthrough-idle-timeout');
        const bundle = join(dir, 'bundle');
        const collected = await run(['collect', '--admin', server.url, '--interval', '0', '--bundle', bundle]);
        assert.equal(collected.code, 0, collected.stderr);
        const analyzed = JSON.parse((await run(['analyze', bundle, '-o', 'json', '--fail-on', 'none'])).stdout) as { rootCauses: Array<{ id: string }> };
        assert.equal(analyzed.rootCauses[0]?.id, 'passthrough-idle-timeout');
      } finally {
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
