/** The program and arguments one command of an exec resource runs. */
export interface Argv {
  readonly file: string;
  readonly args: readonly string[];
}

/**
 * Turns a command param into a program and its arguments, as mgmt does: with a
 * shell, `shell -c command`; with explicit args, the command is the program;
 * otherwise the command is split on whitespace (no quoting is understood, so
 * use `args` or `shell` when an argument holds a space).
 */
export function toArgv(command: string, shell?: string, args?: readonly string[]): Argv {
  if (shell) return { file: shell, args: ['-c', command] };
  if (args && args.length > 0) return { file: command, args };
  const [file = '', ...rest] = splitFields(command);
  return { file, args: rest };
}

/** The program a command param runs: what must exist before it can run. */
export function programOf(command: string, shell?: string): string | undefined {
  return shell || splitFields(command)[0];
}

export function splitFields(command: string): string[] {
  return command.split(/\s+/).filter((field) => field.length > 0);
}

/** How a command is shown in logs and errors: its argv, quoted where needed. */
export function describeArgv(argv: Argv): string {
  return [argv.file, ...argv.args].map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part))).join(' ');
}
