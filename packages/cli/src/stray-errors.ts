import { EngineError } from '@converge/engine-api';
import type { Reporter } from './reporter.js';

/** What the handlers need of the running engine. */
export interface MaskingEngine {
  maskSecrets(text: string): string;
}

export interface StrayErrors {
  /** True once an exception escaped every handler: the run was stopped for it, and the command exits 1. */
  readonly threw: () => boolean;
}

const HINT = "most likely a plugin's bug: report it to its author with these lines (its file is named in them)";

/**
 * Errors that escape every handler while an engine runs: a promise rejected
 * with nothing to handle it, or an exception thrown in a callback. Node's
 * default prints them as they are, a secret in the message included, and
 * ends the process on the spot: no orderly stop, so the process groups of
 * running commands are not ended, no summary is told, and nothing repairs
 * drift any more. They come from code that forgot a handler, most likely a
 * plugin's, so:
 * - a stray rejection is reported, masked, as an internal error, and the
 *   engine goes on: that promise has settled, and nothing else was cut short
 *   by it (a resource that awaited it got the rejection as its own error);
 * - a stray exception is reported, masked, and the engine is stopped in
 *   order, then the command exits 1: the exception cut its code off half way,
 *   which may have left anything in between (Node's own advice is not to go
 *   on after one).
 * The handlers stay for the rest of the process: an error from a plugin's
 * cleanup after the run is masked the same way.
 */
export function handleStrayErrors(engine: MaskingEngine, stop: () => Promise<void>, reporter: Reporter): StrayErrors {
  let threw = false;
  const describe = (error: unknown): string => engine.maskSecrets(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.on('unhandledRejection', (reason) => {
    reporter.problem(
      new EngineError('ERR_INTERNAL', `internal error: a promise was rejected and nothing handled it; converge goes on: ${describe(reason)}`, { hint: HINT }),
    );
  });
  process.on('uncaughtException', (error) => {
    reporter.problem(
      new EngineError('ERR_INTERNAL', `internal error: an exception was thrown and nothing caught it; converge stops: ${describe(error)}`, { hint: HINT }),
    );
    threw = true;
    void stop().catch(() => {});
  });
  return { threw: () => threw };
}
