import type { SwapChanges } from '@converge/engine';
import { distinctLine } from './terminal-text.js';

/** How many ids of each kind of change are named before `and N more`: a reload of a large graph is one line, not a list. */
const NAMED = 5;

/**
 * What a reload did, for its line: `(2 added: exec[a], exec[b]; 3 removed:
 * …)`, each kind of change with its count and its first ids; `(no resource
 * changed)` when the graph's resources are as they were.
 */
export function swapSummary(changes: SwapChanges): string {
  const parts = (
    [
      ['added', changes.added],
      ['changed', changes.changed],
      ['removed', changes.removed],
    ] as const
  ).flatMap(([what, ids]) => (ids.length === 0 ? [] : [`${ids.length} ${what}: ${named(ids)}`]));
  return parts.length === 0 ? '(no resource changed)' : `(${parts.join('; ')})`;
}

function named(ids: readonly string[]): string {
  const shown = ids.slice(0, NAMED).map(distinctLine).join(', ');
  return ids.length > NAMED ? `${shown} and ${ids.length - NAMED} more` : shown;
}
