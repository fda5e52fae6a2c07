import { EngineError } from '@converge/engine-api';

/**
 * Everything wrong with a graph, found in one pass so the user can fix all of
 * it at once. Nothing is applied when a graph fails to load.
 */
export class GraphLoadError extends Error {
  readonly problems: readonly EngineError[];

  constructor(problems: readonly EngineError[]) {
    const first = problems[0];
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    super(first ? `${first.describe()}${more}` : 'the graph could not be loaded');
    this.name = 'GraphLoadError';
    this.problems = problems;
  }

  /** Every problem in the form users see, one per line (hints indented). */
  describe(): string {
    return this.problems.map((problem) => problem.describe()).join('\n');
  }
}
