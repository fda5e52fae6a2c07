#!/usr/bin/env node
import { tolerateClosedOutput } from './closed-output.js';
import { earlySignals } from './early-signals.js';

// Before the rest of converge is loaded (a few hundred milliseconds): a stop
// signal or SIGHUP from now on is converge's to handle, not Node's default,
// which would end the process at once with nothing said.
const signals = earlySignals();
tolerateClosedOutput();
const { main } = await import('./program.js');
main(process.argv, signals).then(
  (code) => {
    // At once: the command has stopped what it ran and written its output
    // (stdout and stderr writes are synchronous on Linux). Left to drain,
    // Node gives SIGINT and SIGTERM back their default action for the last
    // milliseconds, and a stop signal then killed the process with 130.
    process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`converge: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
