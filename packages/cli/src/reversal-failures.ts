import type { Engine, ResourceStatus } from '@converge/engine';
import type { EngineError } from '@converge/engine-api';

/**
 * A failed reversal is of a resource no longer in the graph, so it has no
 * status of its own; it counts as a failed resource all the same (README:
 * meta reverse), in the summary, the converged line and the metrics.
 */
function reversalStatus(id: string, error: EngineError): ResourceStatus {
  const open = id.indexOf('[');
  return {
    id,
    kind: open > 0 ? id.slice(0, open) : id,
    name: open > 0 ? id.slice(open + 1, -1) : id,
    state: 'failed',
    hidden: false,
    noop: false,
    checks: 0,
    changes: 0,
    lastError: error,
  };
}

/** `statuses`, and a failed one for each failure of a resource they do not hold (it left the graph and its reversal failed). */
export function withReversalFailures(statuses: ResourceStatus[], failures: readonly EngineError[]): ResourceStatus[] {
  const ids = new Set(statuses.map((status) => status.id));
  const left = failures.flatMap((failure) => (failure.resource === undefined || ids.has(failure.resource) ? [] : [reversalStatus(failure.resource, failure)]));
  return left.length === 0 ? statuses : [...statuses, ...left];
}

/** The engine's statuses, with its failed reversals (see withReversalFailures). */
export function statusesWithReversalFailures(engine: Pick<Engine, 'statuses' | 'failures'>): ResourceStatus[] {
  return withReversalFailures(engine.statuses(), engine.failures());
}
