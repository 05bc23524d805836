// The CLI as this process: its arguments, standard streams, terminal and environment. What bin/envoy-doctor.js and
// the single-file executable (sea/entry.ts) both run, once they have set the V8 flags.

import { removeTempDirsNow } from '../collect/temp-dirs.ts';
import { EXIT } from '../report/outcome.ts';
import { main, removeTempDirsOnSignals } from './main.ts';

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

/** Exit code of a process whose reader went away, as shells report one stopped by SIGPIPE: 128 + 13. */
const OUTPUT_CLOSED = 141;

/**
 * When standard output's reader goes away (`| head`, a pager quit early), stop as a process stopped by SIGPIPE
 * would, quietly, removing the temporary directories first; any other failure to write the report is one line and
 * exit 74, as for metrics that cannot be written.
 */
function stopWhenOutputCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    removeTempDirsNow();
    if (error.code === 'EPIPE') process.exit(OUTPUT_CLOSED);
    process.stderr.write(`envoy-doctor: standard output: cannot write the report (${error.code ?? error.message})\n`);
    process.exit(EXIT.publish);
  });
}
