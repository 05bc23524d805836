// A copy of the incident sample whose Home Assistant cluster carries a hostile name, for escaping tests of the
// reports: the name reaches them from the config dump, the stats and the access log alike.

import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli.ts';

/** The name given to the cluster: markup that would run if a report did not escape it. */
export const HOSTILE_NAME = '<script>alert(1)</script>';

const ORIGINAL = 'httproute/home/home-assistant-app/rule/0';

/** Writes the bundle into a new temporary directory and returns its path; the caller removes it. */
export async function hostileBundle(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-hostile-'));
  await cp(join(ROOT, 'samples/home-assistant-websocket-drops'), dir, { recursive: true });
  for (const file of ['config_dump.json', 'stats.txt', 'stats.later.txt', 'access.log']) {
    const path = join(dir, file);
    await writeFile(path, (await readFile(path, 'utf8')).replaceAll(ORIGINAL, HOSTILE_NAME));
  }
  return dir;
}
