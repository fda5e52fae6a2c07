#!/usr/bin/env node
import { tolerateClosedOutput } from './closed-output.js';
import { main } from './program.js';

/** If something still holds the event loop after the command is done, leave anyway after this long. */
const LINGER_LIMIT_MS = 3000;

tolerateClosedOutput();
main(process.argv).then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => {
      process.stderr.write('converge: something was still running after shutdown; exiting anyway\n');
      process.exit(code);
    }, LINGER_LIMIT_MS).unref();
  },
  (error: unknown) => {
    process.stderr.write(`converge: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
