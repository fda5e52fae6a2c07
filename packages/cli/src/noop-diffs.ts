import type { Engine } from '@converge/engine';
import type { Logger } from 'pino';
import type { LineSink } from './logging.js';

/** Where a dry run's diffs go: plain text after each resource's id, or one JSON log line each. */
export type DiffOutput = { readonly text: LineSink } | { readonly json: Logger };

/**
 * Prints, for `--noop`, what each resource would change, as its kind
 * describes it (a unified diff for files). Resources already converged say
 * nothing; the engine never passes on values received through send/recv.
 * Returns the function that stops printing.
 */
export function printNoopDiffs(engine: Pick<Engine, 'onEvent'>, output: DiffOutput): () => void {
  return engine.onEvent((event) => {
    if (event.type !== 'diff') return;
    if ('json' in output) output.json.info({ resource: event.id, diff: event.diff }, 'would change (noop)');
    else output.text.write(`${event.id} would change:\n${event.diff.replace(/\n?$/, '\n')}`);
  });
}
