// `envoy-doctor completion bash|zsh`: a completion script written from the command line's own definition, so it
// offers exactly the commands, options and choices this version has. zsh runs the bash function through
// bashcompinit.

import type { Command, Option } from 'commander';
import { CATALOGUE } from '../report/catalogue.ts';

/** Shells `completion` writes for. */
export const SHELLS = ['bash', 'zsh'] as const;
/** A shell `completion` writes for. */
export type Shell = (typeof SHELLS)[number];

/** A word list for bash: words are flags, ids and choices, which never need quoting. */
function words(list: readonly string[]): string {
  return list.join(' ');
}

function flags(o: Option): string[] {
  return [o.short, o.long].filter((f): f is string => f !== undefined);
}

/** The completion cases of one command: its options, what each option's value can be, and its arguments. */
function commandCases(c: Command): { options: string; values: string[]; argument: string } {
  const shown = c.options.filter((o) => !o.hidden);
  const values: string[] = [];
  for (const o of c.options) {
    if (!o.required && !o.optional) continue;
    const pattern = flags(o)
      .map((f) => `"${c.name()} ${f}"`)
      .join('|');
    // Choices are offered; any other value (a file, a URL, a duration) falls back to the shell's file names.
    values.push(`    ${pattern}) COMPREPLY=( $(compgen -W "${words(o.argChoices ?? [])}" -- "$cur") ); return ;;`);
  }
  const args = c.registeredArguments;
  const argument =
    c.name() === 'explain'
      ? words(CATALOGUE.filter((e) => e.status === 'active' && (e.kind === 'finding' || e.kind === 'root-cause')).map((e) => e.id))
      : words(args[0]?.argChoices ?? []);
  return { options: words([...shown.flatMap(flags), '--help']), values, argument };
}

/** The bash completion function for `program`. */
function bashScript(program: Command): string {
  const commands = program.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
  const names = commands.map((c) => c.name());
  const cases = commands.map((c) => ({ name: c.name(), ...commandCases(c) }));
  return [
    '# envoy-doctor completion for bash: source <(envoy-doctor completion bash)',
    '_envoy_doctor() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd="" i',
    '  COMPREPLY=()',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    `    case "\${COMP_WORDS[i]}" in ${names.join('|')}) cmd="\${COMP_WORDS[i]}"; break ;; esac`,
    '  done',
    '  if [[ -z "$cmd" ]]; then',
    `    COMPREPLY=( $(compgen -W "${words([...names, '--help', '--version'])}" -- "$cur") )`,
    '    return',
    '  fi',
    '  case "$cmd $prev" in',
    ...cases.flatMap((c) => c.values),
    '  esac',
    '  if [[ "$cur" == -* ]]; then',
    '    case "$cmd" in',
    ...cases.map((c) => `    ${c.name}) COMPREPLY=( $(compgen -W "${c.options}" -- "$cur") ) ;;`),
    '    esac',
    '    return',
    '  fi',
    '  case "$cmd" in',
    ...cases.filter((c) => c.argument !== '').map((c) => `    ${c.name}) COMPREPLY=( $(compgen -W "${c.argument}" -- "$cur") ) ;;`),
    '  esac',
    '}',
    'complete -o default -F _envoy_doctor envoy-doctor',
    '',
  ].join('\n');
}

/** The completion script for `shell`, from the definition of `program`. */
export function completionScript(shell: Shell, program: Command): string {
  const bash = bashScript(program);
  if (shell === 'bash') return bash;
  return [
    '#compdef envoy-doctor',
    '# envoy-doctor completion for zsh: source <(envoy-doctor completion zsh), e.g. in ~/.zshrc',
    'autoload -U +X bashcompinit && bashcompinit',
    bash.split('\n').slice(1).join('\n'),
  ].join('\n');
}
