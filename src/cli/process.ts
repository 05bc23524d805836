// The CLI as this process: its arguments, standard streams, terminal and environment. What bin/envoy-doctor.js and
// the single-file executable (sea/entry.ts) both run, once they have set the V8 flags.

import { main, removeTempDirsOnSignals, stopWhenOutputCloses } from './main.ts';

/** Runs envoy-doctor with this process's arguments and streams; returns the exit code. */
export function runAsProcess(): Promise<number> {
  // Ctrl-C or a stopped pod: the temporary copies of stats and config dumps go with the process.
  removeTempDirsOnSignals();
  // `envoy-doctor ... | head`: the reader leaves early, and the command stops without a word.
  stopWhenOutputCloses();
  return main(process.argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    ...(process.stdout.isTTY && process.stdout.columns ? { columns: process.stdout.columns } : {}),
    env: process.env,
  });
}
