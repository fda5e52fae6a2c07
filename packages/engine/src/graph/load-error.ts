import { EngineError } from '@converge/engine-api';
import type { GraphSpec } from './spec.js';

/**
 * Everything wrong with a graph, found in one pass so the user can fix all of
 * it at once. Nothing is applied when a graph fails to load.
 */
export class GraphLoadError extends Error {
  readonly problems: readonly EngineError[];
  /**
   * What could be read of a graph whose shape has problems (a resource with
   * `meta:` written as a list is kept, without its metaparams): checked
   * further, it tells the graph's other problems in the same load.
   */
  readonly partial: GraphSpec | undefined;
  /** Whether some resource written in the file is missing from `partial` (so an edge to it is not an error of its own). */
  readonly partialLacksResources: boolean;

  constructor(problems: readonly EngineError[], partial?: GraphSpec, partialLacksResources = false) {
    const first = problems[0];
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    super(first ? `${first.describe()}${more}` : 'the graph could not be loaded');
    this.name = 'GraphLoadError';
    this.problems = problems;
    this.partial = partial;
    this.partialLacksResources = partialLacksResources;
  }

  /** Every problem in the form users see, one per line (hints indented). */
  describe(): string {
    return this.problems.map((problem) => problem.describe()).join('\n');
  }
}

/**
 * Problems in the order they are written (by file as first met, then line
 * and column); those without a location keep their place at the end. The
 * sort is stable: problems at one place keep the order they were found in.
 */
export function inFileOrder(problems: readonly EngineError[]): EngineError[] {
  const files = new Map<string, number>();
  for (const problem of problems) if (problem.location && !files.has(problem.location.file)) files.set(problem.location.file, files.size);
  const key = (problem: EngineError): [number, number, number] =>
    problem.location ? [files.get(problem.location.file) ?? 0, problem.location.line, problem.location.column] : [Number.MAX_SAFE_INTEGER, 0, 0];
  return [...problems].sort((a, b) => {
    const [fa, la, ca] = key(a);
    const [fb, lb, cb] = key(b);
    return fa - fb || la - lb || ca - cb;
  });
}
