// The envoy-doctor command line: `analyze` saved output, `diagnose` live proxies, `collect` a bundle.
// Every failure maps to a documented exit code with a one-line message. What a command runs is imported when it runs,
// so `--version`, `list` and `explain` start without the parsers, analyzers, reports and HTTP clients.

import { stat } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { Argument, Command, CommanderError, Option } from 'commander';
import type { OfflineInputs } from '../collect/files.ts';
import { makeTempDir, removeTempDir } from '../collect/temp-dirs.ts';
import type { Snapshot } from '../model/snapshot.ts';
import type { Diagnosis } from '../diagnose/diagnose.ts';
import { RequestError } from '../model/request-error.ts';
import { InputError } from '../parse/input-error.ts';
import { EXIT, exitCodeFor } from '../report/outcome.ts';
import { type CliIO, outputWidth, TOOL } from './io.ts';
import { explain, listCatalogue } from './catalogue-commands.ts';
import { completionScript, type Shell, SHELLS } from './completion.ts';
import { notifyAfterReport, withNotifyOptions } from './notify.ts';
import { durationArg, type LiveCliOptions, type ReportOptions, withLiveOptions, withReportOptions } from './options.ts';
import { UsageError } from './usage-error.ts';
import { V8_REPORT_FLAGS } from './v8-flags.ts';

export { removeTempDirsOnSignals } from '../collect/temp-dirs.ts';

/** Prints the report, then writes and pushes the metrics if asked; 74 when that failed. */
async function report(d: Diagnosis, o: ReportOptions & { forceExitZero?: boolean }, io: CliIO): Promise<number> {
  const policy = { failOn: o.failOn };
  const ctx = { now: new Date(), tool: TOOL };
  for (const flag of V8_REPORT_FLAGS) setFlagsFromString(flag);
  if (o.output === 'json') {
    // Written in pieces of about 1 MiB: a mesh's report is never held as one string.
    let batch = '';
    (await import('../report/json.ts')).writeJsonReport(d, TOOL, policy, (piece) => {
      batch += piece;
      if (batch.length < 1 << 20) return;
      io.stdout(batch);
      batch = '';
    });
    if (batch.length > 0) io.stdout(batch);
  } else if (o.output === 'markdown') io.stdout((await import('../report/markdown.ts')).renderMarkdown(d, ctx));
  else if (o.output === 'html') io.stdout((await import('../report/html.ts')).renderHtml(d, ctx));
  else {
    const width = outputWidth(io);
    io.stdout(
      (await import('../report/table.ts')).renderTable(d, {
        color: (o.color ?? io.isTTY) && io.env.NO_COLOR === undefined,
        now: ctx.now,
        version: TOOL.version,
        policy: { failOn: o.failOn, ...(o.forceExitZero ? { forceExitZero: true } : {}) },
        all: o.output === 'wide' || o.all === true,
        ...(width !== undefined ? { width } : {}),
      }),
    );
  }
  const code = exitCodeFor(d, policy);
  if (o.metricsFile === undefined && o.push === undefined) return code;
  const [{ renderMetrics }, { publishMetricsText }] = await Promise.all([import('../report/metrics.ts'), import('../report/publish.ts')]);
  const failures = await publishMetricsText(renderMetrics(d, ctx.now), o);
  for (const f of failures) io.stderr(`envoy-doctor: ${f}\n`);
  return failures.length > 0 ? EXIT.publish : code;
}

interface AnalyzeOptions extends ReportOptions {
  manifests?: string;
  configDump?: string;
  stats?: string;
  statsLater?: string;
  accessLog?: string;
  interval?: number;
  pod?: string;
}

async function runAnalyze(bundle: string | undefined, o: AnalyzeOptions, io: CliIO): Promise<number> {
  const inputs: OfflineInputs = {};
  if (bundle !== undefined) inputs.bundle = bundle;
  if (o.configDump !== undefined) inputs.configDump = o.configDump;
  if (o.stats !== undefined) inputs.stats = o.stats;
  if (o.statsLater !== undefined) inputs.statsLater = o.statsLater;
  if (o.accessLog !== undefined) inputs.accessLog = o.accessLog;
  if (o.interval !== undefined) inputs.intervalMs = o.interval;
  if (o.pod !== undefined) inputs.pod = o.pod;
  const [{ loadOffline }, { readManifests }, { startDiagnosis }, { neededStats }] = await Promise.all([
    import('../collect/files.ts'),
    import('../collect/manifests.ts'),
    import('./diagnosis.ts'),
    import('../diagnose/stats-to-read.ts'),
  ]);
  // Of each stats sample, only the stats the diagnosis reads are kept.
  inputs.keep = neededStats();
  // Proxies are diagnosed as they are read, so a bundle of many is never held whole.
  const manifests = o.manifests !== undefined ? await readManifests(o.manifests) : undefined;
  const run = await startDiagnosis('summary');
  let order = 0;
  let comparable = 0;
  const add = (s: Snapshot) => {
    if (manifests && s.kubernetes) {
      s.manifests = manifests;
      comparable++;
    }
    run.add(s, order++);
  };
  const { snapshots, notCollected } = await loadOffline(inputs, add);
  snapshots.forEach(add);
  if (manifests && order > 0 && comparable === 0) {
    throw new UsageError(
      '--manifests compares the live Envoy Gateway objects, and none were read: diagnose through Kubernetes, or analyze a bundle that holds them',
    );
  }
  notCollected.forEach((n, i) => run.skip(n, i));
  const d = run.result();
  return notifyAfterReport(d, o, io, await report(d, o, io));
}

async function runDiagnose(targets: string[], o: LiveCliOptions & ReportOptions & { manifests?: string }, io: CliIO): Promise<number> {
  const { diagnoseLive } = await import('./live.ts');
  const d = await diagnoseLive(targets, o, io);
  return notifyAfterReport(d, o, io, await report(d, o, io));
}

/** Options of `collect`: the bundle's path, as `--bundle` (or as `--out` / `-o`, as before). */
interface CollectOptions extends LiveCliOptions {
  bundle?: string;
  out?: string;
}

/** The path `collect` writes: `--bundle`, or the older `-o`/`--out`, not both. */
function bundlePath(o: CollectOptions): string {
  if (o.bundle !== undefined && o.out !== undefined) throw new UsageError('--bundle and -o/--out both name the bundle to write: give --bundle PATH only');
  const path = o.bundle ?? o.out;
  if (path === undefined) throw new UsageError('collect needs --bundle PATH: a new directory, or FILE.tar.gz');
  return path;
}

async function runCollect(targets: string[], o: CollectOptions, io: CliIO): Promise<number> {
  const path = bundlePath(o);
  const archive = /\.(tar\.gz|tgz)$/.test(path);
  if (!archive) {
    const existing = await stat(path).catch(() => undefined);
    if (existing) throw new UsageError(`--bundle ${path}: already exists; collect writes a new directory or .tar.gz`);
  }
  const [{ collectLiveBundle }, { archiveBundle }] = await Promise.all([import('./live.ts'), import('../collect/bundle.ts')]);
  const dir = archive ? await makeTempDir('envoy-doctor-collect-') : path;
  try {
    const manifest = await collectLiveBundle(targets, o, io, dir, TOOL);
    if (archive) await archiveBundle(dir, path);
    const collected = manifest.proxies.filter((p) => p.collected).length;
    io.stderr(`envoy-doctor: collected ${collected} of ${manifest.proxies.length} proxies into ${path}\n`);
    for (const p of manifest.proxies.filter((x) => !x.collected))
      io.stderr(`envoy-doctor: not collected: ${p.namespace ? `${p.namespace}/` : ''}${p.id}: ${p.reason}\n`);
    return collected === manifest.proxies.length && collected > 0 ? EXIT.ok : EXIT.unavailable;
  } finally {
    if (archive) await removeTempDir(dir);
  }
}

function program(io: CliIO, result: { code: number }): Command {
  const cmd = new Command('envoy-doctor')
    .description('Diagnose Envoy proxies: from admin stats and config dumps to a named root cause and the config fix.')
    .version(TOOL.version)
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, getOutHelpWidth: () => outputWidth(io) ?? 80, getErrHelpWidth: () => outputWidth(io) ?? 80 })
    .exitOverride()
    .showSuggestionAfterError();
  withReportOptions(
    cmd
      .command('analyze')
      .description('Diagnose saved admin output: a bundle (directory or .tar.gz), or files given with the options below')
      .argument('[bundle]', 'a bundle from envoy-doctor collect, or a directory holding config_dump.json, stats.*, stats.later.* (docs/bundle.md)')
      .option('--config-dump <file>', 'Envoy /config_dump (JSON or YAML, egctl output too); - reads standard input')
      .option('--stats <file>', 'Envoy /stats (text, ?format=json or /stats/prometheus); - reads standard input')
      .option('--stats-later <file>', 'a second /stats sample of the same proxy, taken --interval after --stats')
      .option('--access-log <file>', "the proxy's access log (Envoy Gateway JSON or Envoy's text format)")
      .option('--interval <duration>', 'time between the two stats samples (e.g. 30s)', durationArg)
      .option('--pod <name>', 'with a multi-pod config dump: the proxy the stats belong to')
      .option('--manifests <dir>', 'a Git checkout of the Envoy Gateway objects: report where the live ones differ'),
  ).action(async (bundle: string | undefined, o: AnalyzeOptions) => {
    result.code = await runAnalyze(bundle, o, io);
  });
  withReportOptions(withLiveOptions(cmd.command('diagnose').description('Diagnose live proxies: through Kubernetes port-forwards, or admin URLs')))
    .option('--manifests <dir>', 'a Git checkout of the Envoy Gateway objects: report where the live ones differ')
    .action(async (targets: string[], o: LiveCliOptions & ReportOptions & { manifests?: string }) => {
      result.code = await runDiagnose(targets, o, io);
    });
  withLiveOptions(cmd.command('collect').description('Save what diagnose reads as a bundle that analyze diagnoses later, anywhere'))
    .option('--bundle <path>', 'bundle to write (required): a new directory, or FILE.tar.gz')
    // The name it had before; -o is the report format everywhere else.
    .addOption(new Option('-o, --out <path>').hideHelp())
    .action(async (targets: string[], o: CollectOptions) => {
      result.code = await runCollect(targets, o, io);
    });
  cmd
    .command('list')
    .description('List every finding and root cause envoy-doctor can name')
    .addOption(new Option('-o, --output <format>', 'format').choices(['table', 'json']).default('table'))
    .option('--all', 'include retired ids')
    .action((o: { output: 'table' | 'json'; all?: boolean }) => {
      result.code = listCatalogue(io, o.output, o.all ?? false);
    });
  cmd
    .command('explain')
    .description('Print the documentation of a finding, root cause or analyzer')
    .argument('<id>', 'an id from envoy-doctor list, or an analyzer id')
    .action(async (id: string) => {
      result.code = await explain(id, io);
    });
  cmd
    .command('version')
    .description('Print the version of envoy-doctor')
    .action(() => {
      io.stdout(`${TOOL.version}\n`);
    });
  cmd
    .command('completion')
    .description('Print a shell completion script: source <(envoy-doctor completion bash), or add it to ~/.zshrc for zsh')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .action((shell: Shell) => {
      io.stdout(completionScript(shell, cmd));
    });
  for (const c of cmd.commands) if (c.name() === 'analyze' || c.name() === 'diagnose') withNotifyOptions(c, io);
  return cmd;
}

/** Runs the CLI with `argv` (as process.argv) and returns the exit code. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const result = { code: EXIT.ok as number };
  try {
    await program(io, result).parseAsync(argv);
    return result.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (err instanceof UsageError || err instanceof RequestError) {
      io.stderr(`envoy-doctor: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof InputError) {
      io.stderr(`envoy-doctor: ${err.message}\n`);
      return EXIT.input;
    }
    if ((err as Error).name === 'KubeError') {
      io.stderr(`envoy-doctor: ${(err as Error).message}\n`);
      return EXIT.unavailable;
    }
    io.stderr(`envoy-doctor: internal error: ${(err as Error).message ?? String(err)} (please report it with the input that caused it)\n`);
    if (io.env.ENVOY_DOCTOR_DEBUG) io.stderr(`${(err as Error).stack ?? ''}\n`);
    return EXIT.internal;
  }
}
