// A real kubectl for the tests of envoy-doctor as a kubectl plugin (Debian's kubernetes-client; .ci/run installs it).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ROOT } from './cli.ts';

/** Whether a real kubectl is on PATH. */
export function hasKubectl(): boolean {
  return spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).error === undefined;
}

/** CI installs kubectl and must run these; elsewhere a missing kubectl skips them with a note. */
export const KUBECTL_SKIP =
  !hasKubectl() && !process.env.CI ? 'kubectl is not installed (Debian: apt-get install kubernetes-client; .ci/run installs it)' : false;

/** Runs kubectl with `dirs` first on PATH, without a kubeconfig: a plugin needs no cluster to start. */
export function kubectl(args: string[], dirs: string[]): { code: number | null; stdout: string; stderr: string } {
  const home = mkdtempSync(join(tmpdir(), 'envoy-doctor-kubectl-home-'));
  try {
    const r = spawnSync('kubectl', args, {
      encoding: 'utf8',
      cwd: ROOT,
      env: { PATH: [...dirs, process.env.PATH ?? ''].join(delimiter), HOME: home, KUBECONFIG: join(home, 'none') },
    });
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
