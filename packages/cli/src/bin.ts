#!/usr/bin/env node
import { tolerateClosedOutput } from './closed-output.js';
import { earlySignals } from './early-signals.js';
import { exitOnceOutputIsTaken } from './output-drain.js';

// Before the rest of converge is loaded (a few hundred milliseconds): a stop
// signal or SIGHUP from now on is converge's to handle, not Node's default,
// which would end the process at once with nothing said.
const signals = earlySignals();
tolerateClosedOutput();
const { main } = await import('./program.js');
main(process.argv, signals).then(
  // The command has stopped what it ran; what it wrote may still wait for a slow reader.
  (code) => exitOnceOutputIsTaken(code),
  (error: unknown) => {
    process.stderr.write(`converge: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return exitOnceOutputIsTaken(1);
  },
);
