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
  maskingEngine = engine;
  // A handler that throws sends Node down its fatal path: it prints that
  // exception as it is and exits 7. Neither may happen here.
  const tell = (message: string): void => {
    try {
      reporter.problem(new EngineError('ERR_INTERNAL', message, { hint: HINT }));
    } catch {
      // Nowhere left to tell it (stderr gone): the run goes on, or stops, as it would have.
    }
  };
  process.on('unhandledRejection', (reason) => {
    tell(`internal error: a promise was rejected and nothing handled it; converge goes on: ${describeStrayError(reason, engine)}`);
  });
  process.on('uncaughtException', (error) => {
    tell(`internal error: an exception was thrown and nothing caught it; converge stops: ${describeStrayError(error, engine)}`);
    threw = true;
    try {
      void stop().catch(() => {});
    } catch {
      // Stopping failed at once: nothing more to do here (the command still exits 1, with what it knows).
    }
  });
  return { threw: () => threw };
}

/** The engine of the run, whose secrets an error that escapes the command is masked with (see describeStrayError). */
let maskingEngine: MaskingEngine | undefined;

/** What is shown of an error whose description could not be masked: nothing of its own text, which may hold a secret. */
export const ERROR_NOT_SHOWN = 'an error whose text could not be masked for secrets (not shown)';

/**
 * An error that escaped (to these handlers, or out of the command) as it may
 * be shown: its stack, message or text with the engine's secrets masked
 * (the running engine's by default; none before a run has one). Never
 * throws, and never gives the text unmasked: when masking fails, or the
 * value cannot even be made a text, ERROR_NOT_SHOWN stands for it.
 */
export function describeStrayError(error: unknown, engine: MaskingEngine | undefined = maskingEngine): string {
  try {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return engine === undefined ? text : engine.maskSecrets(text);
  } catch {
    return ERROR_NOT_SHOWN;
  }
}
