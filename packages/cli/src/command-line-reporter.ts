import { hostname as systemHostname } from 'node:os';
import { createRootLogger } from './logging.js';
import { jsonReporter, textReporter, type Reporter } from './reporter.js';

/**
 * The reporter for what a command says without the run's own logger (made
 * once the run's options are read and checked), and all that the one-shot
 * commands with --log-json say (deploy, retire, status, schema):
 * `converge: …` lines, or with --log-json the same JSON lines as the run's,
 * so that stderr is JSON from its first line (QA: a flag's problem came as
 * plain text).
 */
export function commandLineReporter(json: boolean, hostname: string = systemHostname()): Reporter {
  const stderr = { write: (text: string): void => void process.stderr.write(text) };
  return json ? jsonReporter(createRootLogger({ level: 'info', json: true, color: false, hostname }, stderr)) : textReporter(stderr);
}
