#!/usr/bin/env node
import { tolerateClosedOutput } from './closed-output.js';
import { main } from './program.js';

tolerateClosedOutput();
main(process.argv).then(
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
