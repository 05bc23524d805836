// The CronJob's command line against envoy-doctor's real command-line parser: every flag it passes exists on
// `diagnose`, takes a value exactly when the CronJob gives one, and the whole line parses. A flag renamed or removed
// in the CLI fails here before a deployed CronJob fails on it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command, type Option } from 'commander';
import { main } from '../../src/cli/main.ts';
import { cronJobPod } from './render.ts';

const quiet = { stdout: () => undefined, stderr: () => undefined, isTTY: false, stderrIsTTY: false, env: {} };

/** The program main() builds, caught before it parses anything. */
async function realProgram(): Promise<Command> {
  const parseAsync = Command.prototype.parseAsync;
  let root: Command | undefined;
  Command.prototype.parseAsync = async function (this: Command) {
    root = this;
    return this;
  };
  try {
    await main(['node', 'envoy-doctor'], quiet);
  } finally {
    Command.prototype.parseAsync = parseAsync;
  }
  assert.ok(root, 'main() parses with a commander program');
  return root;
}

/** Parses `args` with the real program's option definitions and parsers (choices, durations, repeatable
 * options), running nothing: no action and no pre-run check of files or the cluster. */
async function dryParse(args: string[]): Promise<{ command: Command; operands: string[]; options: Record<string, unknown> }> {
  const program = await realProgram();
  const name = args[0] as string;
  const command = program.commands.find((c) => c.name() === name);
  assert.ok(command, `envoy-doctor has a ${name} command`);
  const errors: string[] = [];
  command.configureOutput({ writeOut: () => undefined, writeErr: (t) => void errors.push(t) });
  let parsed: { operands: string[]; unknown: string[] };
  try {
    parsed = command.parseOptions(args.slice(1));
  } catch (err) {
    throw new Error(`envoy-doctor ${args.join(' ')}: ${errors.join('').trim() || (err as Error).message}`);
  }
  if (parsed.unknown.length > 0) throw new Error(`envoy-doctor ${args.join(' ')}: unknown option '${parsed.unknown[0]}'`);
  return { command, operands: parsed.operands, options: command.opts() };
}

/** The flags in an argument list: `--name`, `-A`, with the value that follows when the option takes one. */
function flagsOf(command: Command, args: string[]): Array<{ flag: string; option: Option | undefined; value?: string }> {
  const out: Array<{ flag: string; option: Option | undefined; value?: string }> = [];
  for (let i = 1; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('-')) continue;
    const option = command.options.find((o) => o.long === a || o.short === a);
    const takesValue = option ? option.required || option.optional : false;
    out.push(takesValue ? { flag: a, option, value: args[++i] as string } : { flag: a, option });
  }
  return out;
}

describe('the CronJob command line', () => {
  const args = cronJobPod().container.args as string[];

  it('names only flags diagnose has, each given a value exactly when it takes one', async () => {
    const program = await realProgram();
    const diagnose = program.commands.find((c) => c.name() === args[0]);
    assert.ok(diagnose, `envoy-doctor ${args[0]}`);
    const flags = flagsOf(diagnose, args);
    assert.ok(flags.length >= 6, 'the CronJob passes its flags');
    for (const f of flags) {
      assert.ok(f.option, `envoy-doctor ${args[0]} has ${f.flag}`);
      if (f.option.required || f.option.optional) assert.ok(f.value !== undefined && !f.value.startsWith('-'), `${f.flag} is given a value`);
    }
    const operands = args.slice(1).filter((a, i, all) => !a.startsWith('-') && !flags.some((f) => f.value === a && all[i - 1] === f.flag));
    assert.deepEqual(operands, [], 'no targets: the ClusterRole grants no get on pods or deployments');
  });

  it('parses with the real parser, every flag taken from the command line', async () => {
    const { command, operands, options } = await dryParse(args);
    assert.deepEqual(operands, []);
    for (const f of flagsOf(command, args)) {
      const key = (f.option as Option).attributeName();
      assert.equal(command.getOptionValueSource(key), 'cli', `${f.flag} was parsed`);
      if (f.value !== undefined) {
        const v = options[key];
        // Strings stay as given; a repeatable option collects them; parsed values (durations, numbers) are set.
        if (typeof v === 'string') assert.equal(v, f.value, f.flag);
        else if (Array.isArray(v)) assert.ok(v.includes(f.value), `${f.flag} ${f.value} collected: ${JSON.stringify(v)}`);
        else assert.notEqual(v, undefined, `${f.flag} ${f.value} parsed`);
      }
    }
    assert.equal(options.allNamespaces, true);
    assert.equal(options.failOn, 'error');
  });

  it('the parse is the real one: a known line parses, a flag diagnose lacks or a bad value fails', async () => {
    const ok = await dryParse(['diagnose', '-A', '--fail-on', 'warning']);
    assert.equal(ok.options.failOn, 'warning');
    await assert.rejects(dryParse(['diagnose', '-A', '--no-such-flag']), /unknown option '--no-such-flag'/);
    await assert.rejects(dryParse(['diagnose', '-A', '--fail-on', 'sometimes']), /--fail-on/);
  });
});
