// V8 settings the command runs with, set by bin/envoy-doctor.js (and the single-file executable's entry) before the
// other modules load, and by the benchmarks, which measure the same process the command is.

/**
 * Large inputs are streamed, which makes short-lived garbage fast, and V8 may let its heap grow to four times what
 * is live before a full collection. Growing it by at most half keeps the peak near what is kept
 * (docs/performance.md). Set at run time (`v8.setFlagsFromString`); NODE_OPTIONS cannot carry it.
 */
export const V8_FLAGS = ['--heap-growing-percent=50'] as const;

/**
 * Once the diagnosis is done, what a report allocates is garbage: `-o json` renders every fix of a mesh, hundreds of
 * MB of short-lived text, some promoted past the young generation. Growing the heap by at most a tenth past what is
 * live keeps the report's peak near the diagnosis's, at no time measured (docs/performance.md). Set by the command
 * before it writes its report.
 */
export const V8_REPORT_FLAGS = ['--heap-growing-percent=10'] as const;

/**
 * Settings V8 reads only when Node.js starts, so the command restarts itself with them in NODE_OPTIONS. While a
 * giant dump is parsed, nearly everything allocated survives into the model, and V8 grows its young generation to
 * 128 MiB and keeps it; a 16 MiB semi-space costs no time measured and about 100 MiB of the peak (docs/performance.md).
 */
export const V8_START_FLAGS = ['--max-semi-space-size=16'] as const;

/** The commands that read inputs large enough for the start flags to matter; the others start once. */
const RESTARTING_COMMANDS: ReadonlySet<string> = new Set(['analyze', 'diagnose']);

/** A flag's name as V8 compares it: dashes and underscores alike, without its value. */
function flagName(flag: string): string {
  return (flag.split('=')[0] ?? flag).replaceAll('_', '-');
}

/**
 * NODE_OPTIONS with the start flags this process lacks, when the command (`args[0]`) is one that restarts;
 * undefined when it runs as it is. A flag already given, on Node's command line or in NODE_OPTIONS with any value,
 * is the user's and kept, and a restarted process has them all, so it never restarts twice.
 */
export function restartNodeOptions(args: readonly string[], execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  if (!RESTARTING_COMMANDS.has(args[0] ?? '')) return undefined;
  const given = new Set([...execArgv, ...(nodeOptions ?? '').split(/\s+/)].filter((f) => f.startsWith('--')).map(flagName));
  const missing = V8_START_FLAGS.filter((f) => !given.has(flagName(f)));
  if (missing.length === 0) return undefined;
  return [nodeOptions?.trim(), ...missing].filter(Boolean).join(' ');
}

/**
 * Replaces this process with the same command started with the start flags, when it is one that restarts and they
 * are missing (`args`: the command's arguments; `argv`: what follows the executable in the new process). Returns
 * when it does not restart, and where process.execve does not exist (Windows): the command then runs without them.
 */
export function restartWithStartFlags(args: readonly string[], argv: readonly string[]): void {
  const nodeOptions = restartNodeOptions(args, process.execArgv, process.env.NODE_OPTIONS);
  if (nodeOptions !== undefined && typeof process.execve === 'function')
    process.execve(process.execPath, [process.execPath, ...argv], { ...process.env, NODE_OPTIONS: nodeOptions });
}
