// Apart from the reporter (which loads pino and the engine's messages): bin.ts and
// program.ts ask this of every command line, --help and --version included.

/** The commands that take --log-json (program.ts). */
const JSON_LINE_COMMANDS = new Set(['run', 'deploy', 'retire', 'status', 'schema']);

/**
 * Whether `argv` (as in process.argv) asks for JSON lines: `run … --log-json`
 * (or `--log-json=true`, the last one given winning, as switch-values.ts
 * reads it), before any `--`; `deploy`, `retire`, `status` and `schema` the
 * same. For what is said before the command's options are parsed, or when
 * they cannot be: a usage error, an internal error, output that a reader
 * never took.
 */
export function asksForJsonLines(argv: readonly string[]): boolean {
  const args = argv.slice(2);
  const end = args.indexOf('--');
  let json = false;
  for (const arg of end < 0 ? args : args.slice(0, end)) {
    const match = /^--log-json(?:=(.*))?$/is.exec(arg);
    if (match) json = match[1] === undefined || ['1', 't', 'true'].includes(match[1].toLowerCase());
  }
  return JSON_LINE_COMMANDS.has(args[0] ?? '') && json;
}
