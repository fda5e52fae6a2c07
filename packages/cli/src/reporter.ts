import { describeWarning, type GraphWarning } from '@converge/engine';
import type { EngineError } from '@converge/engine-api';
import type { Logger } from 'pino';
import type { LineSink } from './logging.js';
import { distinctLine, oneLine, safeText } from './terminal-text.js';

/**
 * Why a command stops before anything ran: the state directory in use, a
 * port taken, a file it cannot write, a flag that needs another. `code` is
 * for programs (--log-json), as a graph's problems have theirs.
 */
export interface StartFailure {
  readonly code: StartFailureCode;
  readonly message: string;
  /** What to do about it. */
  readonly hint?: string;
}

/**
 * ERR_USAGE as the engine's; the others are the CLI's own, stable for
 * scripts. ERR_CLUSTER: a cluster command's call to etcd failed
 * (unreachable, no leader); ERR_HOST_RUNNING: `retire` of a host still live.
 */
export type StartFailureCode = 'ERR_USAGE' | 'ERR_STATE_DIR' | 'ERR_LISTEN' | 'ERR_RUN_FILE' | 'ERR_CLUSTER' | 'ERR_HOST_RUNNING' | 'ERR_INTERNAL';

/**
 * The command's own messages (stopping, summaries, problems). In text mode
 * they are `converge: ...` lines; with --log-json they are log lines, so that
 * stderr stays JSON from the first line to the last.
 */
export interface Reporter {
  /** `fields` go with the line in --log-json (a `resource`, say); text shows the message alone. */
  say(message: string, fields?: Record<string, unknown>): void;
  /** A problem in the form users see: `file:line:col: kind[name]: message` and a hint. */
  problem(error: EngineError): void;
  /** Why the command stops before anything ran: `converge: message` and `converge: hint: …` lines, or one error line with `code` and `hint` (as a graph's problem). */
  failure(failure: StartFailure): void;
  /** Something that loaded but not as written: `file:line:col: warning: kind[name]: message` and a hint. */
  warning(warning: GraphWarning): void;
  /** Whether warnings are shown (not with `--log-level error`), for lines that tell of several at once. */
  readonly showsWarnings: boolean;
  /** Whether a list of many resources is told in full (--log-json, for programs) or its first few (text, for people: see capped-list.ts). */
  readonly listsInFull: boolean;
}

export function textReporter(sink: LineSink, { showsWarnings = true }: { readonly showsWarnings?: boolean } = {}): Reporter {
  return {
    showsWarnings,
    listsInFull: false,
    say: (message) => sink.write(`converge: ${message}\n`),
    // Line by line with control characters escaped: a command's stderr in the message must not drive the terminal.
    // As EngineError.describe() puts it, made safe for a terminal: a command's stderr in the message must not drive it or pass for lines of converge's own.
    problem: (error) => {
      const where = error.location ? `${error.location.file}:${error.location.line}:${error.location.column}: ` : '';
      const who = error.resource ? `${distinctLine(error.resource)}: ` : '';
      const hint = error.hint ? `\n  hint: ${safeText(error.hint)}` : '';
      sink.write(`${oneLine(where)}${who}${safeText(error.message)}${hint}\n`);
    },
    failure: ({ message, hint }) => sink.write(`converge: ${message}\n${hint === undefined ? '' : `converge: hint: ${hint}\n`}`),
    warning: (warning) => {
      if (showsWarnings) sink.write(`${describeWarning({ ...warning, resource: distinctLine(warning.resource) }).split('\n').map(oneLine).join('\n')}\n`);
    },
  };
}

export function jsonReporter(logger: Logger): Reporter {
  return {
    showsWarnings: logger.isLevelEnabled('warn'),
    listsInFull: true,
    say: (message, fields) => logger.info(fields ?? {}, message),
    problem: (error) =>
      logger.error(
        { code: error.code, resource: error.resource, phase: error.phase, location: error.location, hint: error.hint },
        error.message,
      ),
    failure: ({ code, message, hint }) => logger.error({ code, hint }, message),
    // `resource` names resources only (kind[name]); a warning about an edge says `edge`.
    warning: (warning) =>
      logger.warn({ ...(warning.resource.startsWith('edge') ? { edge: warning.resource } : { resource: warning.resource }), location: warning.location, hint: warning.hint }, warning.message),
  };
}
