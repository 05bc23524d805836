// envoy-doctor as a user runs it against the lab's Envoy: `diagnose --admin` on the live admin API, and `collect`
// of a bundle then `analyze` of it. The JSON report is read back (docs/json-schema.md).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './processes.ts';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'envoy-doctor.js');

/** The parts of the JSON report the lab reads. */
export interface Report {
  rootCauses: Array<{
    id: string;
    entities: Array<{ kind: string; name: string }>;
    fixes: Array<{ flavor: string; target: string; apply: string; format: string; text: string }>;
    explains: Array<{ code: string; values: Record<string, unknown> }>;
  }>;
  findings: Array<{ code: string; entity: { kind: string; name: string }; evidence: Record<string, unknown> }>;
}

async function cli(args: string[]): Promise<Report> {
  const r = await run(process.execPath, [CLI, ...args, '-o', 'json', '--fail-on', 'none'], 120_000, { cwd: ROOT });
  if (r.code !== 0) throw new Error(`envoy-doctor ${args.join(' ')} exited ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
  return JSON.parse(r.stdout) as Report;
}

/** `--access-log FILE` when the proxy's access log is given, as an operator with a file access log gives it. */
const withLog = (accessLog: string | undefined) => (accessLog !== undefined ? ['--access-log', accessLog] : []);

/** `envoy-doctor diagnose --admin URL` with two samples `intervalSeconds` apart. */
export function diagnoseLive(admin: string, intervalSeconds: number, accessLog?: string): Promise<Report> {
  return cli(['diagnose', '--admin', admin, '--interval', `${intervalSeconds}s`, ...withLog(accessLog)]);
}

/** `envoy-doctor collect --admin URL` into the bundle directory `bundle`, two stats samples `intervalSeconds` apart. */
export async function collectBundle(admin: string, intervalSeconds: number, bundle: string, accessLog?: string): Promise<void> {
  const r = await run(
    process.execPath,
    [CLI, 'collect', '--admin', admin, '--interval', `${intervalSeconds}s`, ...withLog(accessLog), '--bundle', bundle],
    120_000,
    { cwd: ROOT },
  );
  if (r.code !== 0) throw new Error(`envoy-doctor collect exited ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
}

/** `envoy-doctor collect --admin URL` into a bundle, then `envoy-doctor analyze` of that bundle. */
export async function collectAndAnalyze(admin: string, intervalSeconds: number, accessLog?: string): Promise<Report> {
  const dir = mkdtempSync(join(tmpdir(), 'envoy-doctor-lab-bundle-'));
  const bundle = join(dir, 'bundle');
  try {
    await collectBundle(admin, intervalSeconds, bundle, accessLog);
    return await cli(['analyze', bundle]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
