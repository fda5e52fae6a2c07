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

/**
 * The programs a command param runs, as far as can be told without a shell
 * parser: the shell (when there is one) and the command's first word, when
 * that is an absolute path (`/usr/bin/hello -g x > out` through /bin/sh
 * runs /usr/bin/hello). A first word like `FOO=1` or `cd` tells nothing.
 */
export function programsOf(command: string, shell?: string): string[] {
  const first = splitFields(command)[0];
  if (!shell) return first === undefined ? [] : [first];
  return first !== undefined && /^\/[^;&|<>()$`'"\\*?]*$/.test(first) ? [shell, first] : [shell];
}

export function splitFields(command: string): string[] {
  return command.split(/\s+/).filter((field) => field.length > 0);
}

/** How a command is shown in logs and errors: its argv, quoted where needed. */
export function describeArgv(argv: Argv): string {
  return [argv.file, ...argv.args].map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part))).join(' ');
}
