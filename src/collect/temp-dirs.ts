// The private temporary directories a run writes (`envoy-doctor-live-*` for stats samples waiting for the second,
// `envoy-doctor-collect-*` for a bundle before it is archived, `envoy-doctor-bundle-*` for an extracted archive).
// Each is removed when its work is done; the command removes those still there when it is stopped (SIGINT, SIGTERM),
// so a Ctrl-C leaves no collected stats or config dumps behind.

import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const open = new Set<string>();

/** Creates a private temporary directory whose name starts with `prefix`, removed on a stopping signal. */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  open.add(dir);
  return dir;
}

/** Removes a directory made by makeTempDir. */
export async function removeTempDir(dir: string): Promise<void> {
  // Retried: a failed extraction can still be writing into it for a moment (ENOTEMPTY).
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
  open.delete(dir);
}

/** Removes every temporary directory still there, at once (a stopping process has no time to wait). */
export function removeTempDirsNow(): void {
  for (const dir of open) rmSync(dir, { recursive: true, force: true });
  open.clear();
}

/** Exit codes of a process stopped by a signal, as shells report them: 128 + the signal's number. */
const STOPPING = { SIGINT: 130, SIGTERM: 143 } as const;

/** On SIGINT or SIGTERM: remove the temporary directories and exit as stopped by that signal. */
export function removeTempDirsOnSignals(proc: Pick<NodeJS.Process, 'once' | 'exit'> = process): void {
  for (const [signal, code] of Object.entries(STOPPING)) {
    proc.once(signal as NodeJS.Signals, () => {
      removeTempDirsNow();
      proc.exit(code);
    });
  }
}
