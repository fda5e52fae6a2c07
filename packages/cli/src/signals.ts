import { distinctLine, oneLine } from './terminal-text.js';
import { ExitCode } from './exit-codes.js';
import { tellCapped } from './capped-list.js';
/** What each stop signal does, in the order they arrive. */
export interface StopSteps {
  /** First signal: orderly stop; a running checkApply may finish. */
  stop(): void;
  /** Second signal: abort the running checkApply calls now. */
  abort(): void;
  /** Third signal: interrupt what still runs and leave at once. */
  interruptAndExit(): void;
  /** The calls still running, named for the user (e.g. `exec[x]: checkApply running for 12.3 s`), with their resource. */
  runningCalls(): ReadonlyArray<{ readonly id: string; readonly text: string }>;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Says a line; `fields` go with it where lines are records (--log-json). */
export type Say = (message: string, fields?: Record<string, unknown>) => void;

/**
 * Escalates on repeated SIGINT/SIGTERM, as an operator expects from a
 * long-running daemon: ask nicely, then insist, then pull the plug. Each step
 * names what is still running so a stuck resource is easy to find. Returns a
 * function to call once the run is over: the handlers stay (Node's default
 * for a signal with none would kill the process with 130 while it tidies
 * up, leaving a --tmp-prefix folder behind), but only a third signal in all
 * still does something: it exits at once (the folder goes with the exit).
 * With `maxRuntimeSeconds` > 0 (mgmt's --max-runtime), that much time after
 * the call counts as the first signal. `listsInFull`: every call still
 * running is named (--log-json), not only the first few (see capped-list.ts).
 */

export function handleStopSignals(steps: StopSteps, say: Say, maxRuntimeSeconds = 0, listsInFull = false): () => void {
  let received = 0;
  // A line per call, each carrying its resource (as every line about a resource does in --log-json).
  const sayStillRunning = (): void => {
    tellCapped(
      steps.runningCalls(),
      listsInFull,
      (call) => say(`still running: ${runningText(call)}`, { resource: call.id }),
      (more) => say(`still running: … and ${more} more`),
    );
  };
  let runOver = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    received++;
    if (runOver) {
      if (received >= 3) steps.interruptAndExit();
      return;
    }
    if (received === 1) {
      say(`${signal}: stopping; running changes may finish (send ${signal} again to abort them)`);
      steps.stop();
      sayStillRunning();
    } else if (received === 2) {
      say(`${signal} again: aborting running changes (a third time interrupts and exits at once)`);
      steps.abort();
      sayStillRunning();
    } else {
      say(`${signal} a third time: interrupting and exiting now`);
      sayStillRunning();
      steps.interruptAndExit();
    }
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  // --max-runtime N: the time running out is the first stop signal, so that a
  // signal after it aborts the running changes, as a second one would.
  const timeUp =
    maxRuntimeSeconds > 0
      ? setTimeout(() => {
          if (runOver || received > 0) return;
          received = 1;
          say(`--max-runtime ${maxRuntimeSeconds}: ran its time; stopping as SIGTERM would, running changes may finish (send SIGTERM to abort them)`);
          steps.stop();
          sayStillRunning();
        }, maxRuntimeSeconds * 1000)
      : undefined;
  return () => {
    runOver = true;
    clearTimeout(timeUp);
  };
}

/** What a stopping command needs of its engine. */
export interface StoppableEngine {
  abort(): void;
  interrupt(): void;
  runningChecks(): ReadonlyArray<{ readonly id: string; readonly text: string }>;
}

/**
 * The stop signals of a command that runs an engine: `stop` is the orderly
 * stop (whose promise the command's main flow awaits and reports on); then
 * abort; then interrupt and exit with 1.
 */
export function handleEngineStopSignals(engine: StoppableEngine, stop: () => Promise<void>, say: Say, maxRuntimeSeconds = 0, listsInFull = false): () => void {
  return handleStopSignals(
    {
      stop: () => void stop().catch(() => {}),
      abort: () => engine.abort(),
      interruptAndExit: () => {
        engine.interrupt();
        process.exit(ExitCode.resourceFailed);
      },
      runningCalls: () => engine.runningChecks(),
    },
    say,
    maxRuntimeSeconds,
    listsInFull,
  );
}

/** Resolves once `signal` aborts (a stop was asked for). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** `kind[name]: checkApply running for N s`, its id written as every other line about a resource writes it (distinctLine). */
function runningText({ id, text }: { readonly id: string; readonly text: string }): string {
  return text.startsWith(id) ? `${distinctLine(id)}${oneLine(text.slice(id.length))}` : oneLine(text);
}
