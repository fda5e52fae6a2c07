import type { EngineError } from '@converge/engine-api';

/**
 * Where a resource stands:
 * - `pending`: waiting for its first checkApply (or for its parents);
 * - `running`: a checkApply is under way;
 * - `converged`: its last checkApply found or made the desired state;
 * - `failed`: it failed for good (retries used up); see `lastError`;
 * - `blocked`: a resource it depends on failed, so it does not run;
 * - `stopped`: the engine stopped it.
 */
export type ResourceState = 'pending' | 'running' | 'converged' | 'failed' | 'blocked' | 'stopped';

export interface ResourceStatus {
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly state: ResourceState;
  readonly hidden: boolean;
  /** Checked only (global --noop or meta noop): its changes are ones it would make. */
  readonly noop: boolean;
  /** checkApply calls so far. */
  readonly checks: number;
  /** checkApply calls that changed something (or would have, in noop). */
  readonly changes: number;
  /** Noop: its last check found something it would change (converged in the noop sense, not in the world's). */
  readonly wouldChange?: boolean;
  /** Its watch failed and is to be started again (meta.retry, meta.rewatch): not converged until it is live again; the failure. */
  readonly watchDown?: EngineError;
  readonly lastError?: EngineError;
}
