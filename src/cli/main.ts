// The envoy-doctor command line. Maps every failure to a documented exit code with a one-line message.

import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { loadOfflineSnapshots, type OfflineInputs } from '../collect/files.ts';
import { diagnose } from '../diagnose/diagnose.ts';
import type { Severity } from '../model/finding.ts';
import { parseDurationMs } from '../parse/durations.ts';
import { InputError, UsageError } from '../parse/input-error.ts';
import { renderJson } from '../report/json.ts';
import { EXIT, exitCodeFor } from '../report/outcome.ts';
import { renderTable } from '../report/table.ts';

/** Where the CLI writes; tests pass their own. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

/** The tool's name and version, as reports state them. */
export const TOOL = { name: pkg.name, version: pkg.version };

function durationArg(value: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 30s, 1m or 1m30s');
  return ms;
}

interface AnalyzeOptions {
  configDump?: string;
  stats?: string;
  statsLater?: string;
  interval?: number;
  pod?: string;
  output: 'table' | 'json';
  failOn: Severity | 'none';
  color?: boolean;
}

async function runAnalyze(bundle: string | undefined, o: AnalyzeOptions, io: CliIO): Promise<number> {
  const inputs: OfflineInputs = {};
  if (bundle !== undefined) inputs.bundle = bundle;
  if (o.configDump !== undefined) inputs.configDump = o.configDump;
  if (o.stats !== undefined) inputs.stats = o.stats;
  if (o.statsLater !== undefined) inputs.statsLater = o.statsLater;
  if (o.interval !== undefined) inputs.intervalMs = o.interval;
  if (o.pod !== undefined) inputs.pod = o.pod;
  const snapshots = await loadOfflineSnapshots(inputs);
  const diagnosis = await diagnose(snapshots);
  const policy = { failOn: o.failOn };
  if (o.output === 'json') io.stdout(renderJson(diagnosis, TOOL, policy));
  else {
    const color = o.color ?? (io.isTTY && io.env.NO_COLOR === undefined);
    io.stdout(renderTable(diagnosis, { color: color && io.env.NO_COLOR === undefined }));
  }
  return exitCodeFor(diagnosis, policy);
}

function program(io: CliIO, result: { code: number }): Command {
  const cmd = new Command('envoy-doctor')
    .description('Diagnose Envoy proxies: from admin stats and config dumps to a named root cause and the config fix.')
    .version(TOOL.version)
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .showSuggestionAfterError();
  cmd
    .command('analyze')
    .description('Diagnose saved admin output: a bundle directory, or files given with the options below')
    .argument('[bundle]', 'directory holding config_dump.json, stats.(txt|json|prom), stats.later.* (docs/bundle.md)')
    .option('--config-dump <file>', 'Envoy /config_dump (JSON or YAML, egctl output too); - reads standard input')
    .option('--stats <file>', 'Envoy /stats (text, ?format=json or /stats/prometheus); - reads standard input')
    .option('--stats-later <file>', 'a second /stats sample of the same proxy, taken --interval after --stats')
    .option('--interval <duration>', 'time between the two stats samples (e.g. 30s)', durationArg)
    .option('--pod <name>', 'with a multi-pod config dump: the proxy the stats belong to')
    .addOption(new Option('-o, --output <format>', 'report format').choices(['table', 'json']).default('table'))
    .addOption(new Option('--fail-on <severity>', 'exit 79 when anything is at or above this severity').choices(['error', 'warning', 'info', 'none']).default('error'))
    .option('--color', 'force colour')
    .option('--no-color', 'never colour (NO_COLOR is honoured too)')
    .action(async (bundle: string | undefined, o: AnalyzeOptions) => {
      result.code = await runAnalyze(bundle, o, io);
    });
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
    if (err instanceof UsageError) {
      io.stderr(`envoy-doctor: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof InputError) {
      io.stderr(`envoy-doctor: ${err.message}\n`);
      return EXIT.input;
    }
    io.stderr(`envoy-doctor: internal error: ${(err as Error).message ?? String(err)} (please report it with the input that caused it)\n`);
    if (io.env.ENVOY_DOCTOR_DEBUG) io.stderr(`${(err as Error).stack ?? ''}\n`);
    return EXIT.internal;
  }
}
