// Running the CLI in-process with captured output, and as a real process through bin/.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.ts';

/** What a CLI run produced. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `envoy-doctor ...args` in this process. */
export async function run(
  args: string[],
  opts: { isTTY?: boolean; stderrIsTTY?: boolean; columns?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'envoy-doctor', ...args], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    isTTY: opts.isTTY ?? false,
    stderrIsTTY: opts.stderrIsTTY ?? false,
    ...(opts.columns !== undefined ? { columns: opts.columns } : {}),
    env: opts.env ?? {},
  });
  return { code, stdout, stderr };
}

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs the built bin/envoy-doctor.js as a child process (needs `npm run build`). */
export function runBin(args: string[], input?: string, env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, ['bin/envoy-doctor.js', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    ...(input !== undefined ? { input } : {}),
    env: { PATH: process.env.PATH, ...env },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
