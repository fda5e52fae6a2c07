import type { Engine } from '@converge/engine';
import type { Logger } from 'pino';
import type { LineSink } from './logging.js';
import { StatusHistory } from './status-history.js';
import { distinctLine, oneLine } from './terminal-text.js';

/** Where a dry run's diffs go: plain text after each resource's id, or one JSON log line each. */
export type DiffOutput = { readonly text: LineSink } | { readonly json: Logger };

/**
 * Prints, for `--noop`, what each resource would change, as its kind
 * describes it (a unified diff for files). Resources already converged say
 * nothing; the engine never passes on values received through send/recv.
 * Returns the function that stops printing.
 *
 * A resource that would change stays so in noop, and is checked again each
 * time a resource that depends on it asks for it (a directory once per file
 * in it): its diff is printed again only when it is another diff, or after
 * the resource was found converged or was replaced by a graph swap.
 */
export function printNoopDiffs(engine: Pick<Engine, 'onEvent'>, output: DiffOutput, diffPrinted: (id: string) => void = () => {}): () => void {
  const history = new StatusHistory();
  const printed = new Map<string, string>();
  return engine.onEvent((event) => {
    if (event.type === 'status') {
      const { replaced, changed } = history.step(event.status);
      if (replaced || (event.status.state === 'converged' && !changed)) printed.delete(event.status.id);
      return;
    }
    if (event.type !== 'diff' || printed.get(event.id) === event.diff) return;
    printed.set(event.id, event.diff);
    // A group's diff is told as that of the members it is about.
    const about = event.members ?? [event.id];
    writeDiff(output, about, 'would change', event.diff);
    // A new diff is followed by its status line again (README: the diff, then `would change: ID`).
    for (const id of about) diffPrinted(id);
  });
}

/**
 * One dry-run description: `ID would change:` (or `would put back:`, a
 * reversal's) and its lines, or one JSON log line with the diff as a field.
 */
export function writeDiff(output: DiffOutput, about: readonly string[], what: 'would change' | 'would put back', diff: string): void {
  if ('json' in output) output.json.info({ resource: about[0], ...(about.length > 1 ? { resources: about } : {}), diff }, `${what} (noop)`);
  // The diff quotes what is in the file now, which anyone who can write it chose: each line escaped.
  else output.text.write(`${about.map(distinctLine).join(', ')} ${what}:\n${diff.replace(/\n$/, '').split('\n').map(oneLine).join('\n')}\n`);
}
