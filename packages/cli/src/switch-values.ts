import type { Command } from 'commander';

/**
 * Switches written with a value, as Go's flag package (mgmt's) takes them:
 * `--noop=true` is `--noop`, `--converged-exit=false` is the switch left
 * out. Users coming from mgmt write these in scripts and unit files;
 * commander alone calls them unknown options.
 */

/** The words Go's strconv.ParseBool takes, as what they mean. */
const SWITCH_WORDS = new Map<string, boolean>([
  ['1', true],
  ['t', true],
  ['true', true],
  ['0', false],
  ['f', false],
  ['false', false],
]);

export type SwitchValues = { readonly argv: readonly string[] } | { readonly problem: string };

/**
 * `argv` (as in process.argv) with each `--switch=WORD` of the command being
 * run rewritten: the switch alone for true, nothing for false. A switch
 * given another value is a problem that names what it takes. Everything
 * after `--` is left as it is.
 */
export function withSwitchValues(program: Command, argv: readonly string[]): SwitchValues {
  const [node = '', script = '', ...args] = argv;
  const commandIndex = args.findIndex((arg) => !arg.startsWith('-'));
  const command = commandIndex < 0 ? undefined : program.commands.find((candidate) => candidate.name() === args[commandIndex]);
  if (command === undefined) return { argv };
  const switches = switchNames(command);
  const rewritten: string[] = [];
  for (const [index, arg] of args.entries()) {
    const match = /^(--[a-z][a-z0-9-]*)=(.*)$/s.exec(arg);
    const name = match?.[1];
    if (index <= commandIndex || args.slice(0, index).includes('--') || name === undefined || !switches.has(name)) {
      rewritten.push(arg);
      continue;
    }
    const on = SWITCH_WORDS.get((match?.[2] ?? '').toLowerCase());
    if (on === undefined) return { problem: `${arg}: ${name} is a switch: give it alone, or as ${name}=true or ${name}=false` };
    if (on) rewritten.push(name);
    // The last one given wins, as with Go's flags: `--noop --noop=false` is no dry run (an override after the defaults).
    else for (let at = rewritten.indexOf(name); at >= 0; at = rewritten.indexOf(name)) rewritten.splice(at, 1);
  }
  return { argv: [node, script, ...rewritten] };
}

/** The long names of `command`'s options that take no value (hidden ones too: mgmt's refused flags must still be told). */
function switchNames(command: Command): Set<string> {
  return new Set(command.options.filter((option) => !option.required && !option.optional && option.long !== undefined).map((option) => option.long as string));
}
