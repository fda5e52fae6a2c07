import { EngineError } from '@converge/engine-api';

/**
 * The error with its message and hint passed through `redact`; the same
 * error when nothing changed. A changed one loses its cause, which may quote
 * what was redacted (a command line, an output).
 */
export function redactedError(error: EngineError, redact: (text: string) => string): EngineError {
  const message = redact(error.message);
  const hint = error.hint === undefined ? undefined : redact(error.hint);
  if (message === error.message && hint === error.hint) return error;
  return new EngineError(error.code, message, {
    ...(error.resource === undefined ? {} : { resource: error.resource }),
    ...(error.phase === undefined ? {} : { phase: error.phase }),
    ...(error.location === undefined ? {} : { location: error.location }),
    ...(hint === undefined ? {} : { hint }),
    ...(error.members === undefined ? {} : { members: error.members }),
    ...(error.missing ? { missing: true } : {}),
    ...(error.wouldChange ? { wouldChange: true } : {}),
  });
}
