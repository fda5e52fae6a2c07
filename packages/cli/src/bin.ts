#!/usr/bin/env node
import { tolerateClosedOutput } from './closed-output.js';
import { earlySignals } from './early-signals.js';
import { exitOnceOutputIsTaken } from './output-drain.js';
import type { Reporter } from './reporter.js';
import { tuneV8Tiering } from './v8-tiering.js';

// Before the rest of converge is loaded: see v8-tiering.ts.
tuneV8Tiering();

// Before the rest of converge is loaded (a few hundred milliseconds): a stop
// signal or SIGHUP from now on is converge's to handle, not Node's default,
// which would end the process at once with nothing said.
const signals = earlySignals();
tolerateClosedOutput();
const { main } = await import('./program.js');
// What is said here comes after the command's own logger is gone: as JSON lines too with `run --log-json`.
// The reporter is loaded only when something is to be said: `--help` and `--version` need none of it.
const lines = async (): Promise<Reporter> => {
  const [{ commandLineReporter }, { asksForJsonLines }] = await Promise.all([import('./command-line-reporter.js'), import('./json-lines-flag.js')]);
  return commandLineReporter(asksForJsonLines(process.argv));
};
main(process.argv, signals).then(
  // The command has stopped what it ran; what it wrote may still wait for a slow reader.
  (code) => exitOnceOutputIsTaken(code, async (message) => (await lines()).say(message)),
  async (error: unknown) => {
    // Masked with the secrets of the run it came out of, as a stray error is.
    const { describeStrayError } = await import('./stray-errors.js');
    (await lines()).failure({ code: 'ERR_INTERNAL', message: `internal error: ${describeStrayError(error)}` });
    return exitOnceOutputIsTaken(1, async (message) => (await lines()).say(message));
  },
);
