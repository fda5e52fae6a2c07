import { pino, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { LogLevel } from './options.js';
import { terminalSafe } from './log-text.js';

export interface LogOutputOptions {
  readonly level: LogLevel;
  /** JSON lines, for machines. */
  readonly json: boolean;
  /** Colours, for a human at a terminal. */
  readonly color: boolean;
  readonly hostname: string;
}

/**
 * Whether the environment lets a terminal have colours: `NO_COLOR` set to
 * anything (no-color.org) or `FORCE_COLOR=0` turns them off.
 */
export function colorAllowed(env: NodeJS.ProcessEnv): boolean {
  return !(env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') && env['FORCE_COLOR'] !== '0';
}

/** Where formatted lines go: the shared stderr terminal. */
export interface LineSink {
  write(text: string): void;
}

/**
 * The root logger. The engine makes a child of it per resource, so every
 * line about a resource carries `resource: 'kind[name]'`. Each line is
 * handed to the sink as it is logged (pino-pretty's formatter, not its worker
 * transport; no sonic-boom destination with a buffer of its own), so that
 * lines interleave correctly with the status line and none is held back
 * at exit: what stderr still holds for a slow reader is waited for then
 * (output-drain.ts).
 */
export function createRootLogger(options: LogOutputOptions, sink: LineSink): Logger {
  const pretty = options.json
    ? undefined
    : prettyFactory({
        colorize: options.color && colorAllowed(process.env),
        translateTime: 'HH:MM:ss.l',
        ignore: 'pid,hostname,resource',
        messageFormat: '{if resource}{resource}: {end}{msg}',
        singleLine: true,
      });
  return pino(
    { level: options.level, base: { pid: process.pid, hostname: options.hostname } },
    { write: (line: string) => sink.write(pretty ? pretty(terminalSafe(JSON.parse(line) as Record<string, unknown>)) : line) },
  );
}
