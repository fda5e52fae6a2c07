import type { ResourceState, ResourceStatus } from '@converge/engine';

/** A resource's state as the status line and the UI show it. */
export type ShownState = ResourceState | 'would change' | 'watch down';

/**
 * Its state, where `converged` would mislead: a dry run's resource that
 * would change is not as the graph says (QA), and one whose watch failed and
 * waits to be restarted (meta retry or rewatch) is not converged (QA: a
 * rewatch watch that never stayed up was counted as converged).
 */
export function shownState(status: ResourceStatus): ShownState {
  if (status.state !== 'converged') return status.state;
  if (status.watchDown !== undefined) return 'watch down';
  return status.wouldChange === true ? 'would change' : 'converged';
}
