// `npm run lab -- --record`: real captures from the lab's Envoy, the failing run of each scenario on the newest
// Envoy version, into test/fixtures/lab/<scenario>/: /stats in its three formats read back to back once the load
// has stopped, and /config_dump. The format conformance test (test/parse/lab-captures.test.ts) reads them. An access
// log in one of Envoy's own formats (its default text format, or JSON) on Envoy's stdout is kept as access.log; the
// lab's `ACCESS` lines (lab/config.ts) are not.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where recorded captures go. */
export const RECORD_DIR = join(import.meta.dirname, '..', 'test', 'fixtures', 'lab');

/** The admin reads of one capture, and the file each is written to. */
const READS: Array<[string, string]> = [
  ['/stats', 'stats.txt'],
  ['/stats?format=json', 'stats.json'],
  ['/stats/prometheus', 'stats.prom'],
  ['/config_dump', 'config_dump.json'],
  ['/server_info', 'server_info.json'],
];

/** The lines of Envoy's stdout in one of Envoy's own access log formats (its default text format, or JSON). */
export function envoyAccessLog(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.startsWith('[') || l.startsWith('{'));
}

/** Reads the admin API of a running Envoy into `test/fixtures/lab/<name>/`, and its access log from its stdout. */
export async function recordCaptures(admin: string, name: string, stdout = ''): Promise<string> {
  const dir = join(RECORD_DIR, name);
  mkdirSync(dir, { recursive: true });
  for (const [path, file] of READS) {
    const res = await fetch(`${admin}${path}`);
    if (!res.ok) throw new Error(`GET ${admin}${path}: ${res.status}`);
    writeFileSync(join(dir, file), await res.text());
  }
  const log = envoyAccessLog(stdout);
  if (log.length > 0) writeFileSync(join(dir, 'access.log'), `${log.join('\n')}\n`);
  return dir;
}
