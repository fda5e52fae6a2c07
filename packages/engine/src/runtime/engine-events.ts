import type { EngineError } from '@converge/engine-api';
import type { ResourceStatus } from './status.js';

/** How one member of a group (autogroup) came out of its group's checkApply. */
export interface MemberCheck {
  readonly id: string;
  /** True when the member was already converged. */
  readonly converged: boolean;
  /** Set when the call failed for this member (the whole group, or EngineError.members names it). */
  readonly error?: EngineError;
}

/**
 * What the engine reports to observers (metrics, web view, logs): cheap to
 * make, and only made when someone listens.
 */
export type EngineEvent =
  | { readonly type: 'status'; readonly status: ResourceStatus }
  | {
      readonly type: 'checkApply';
      readonly id: string;
      readonly durationMs: number;
      /** True when the resource was already converged. */
      readonly converged: boolean;
      readonly apply: boolean;
      readonly error?: EngineError;
      /**
       * For a group, each member's own outcome (the vertex's resource
       * first): a call fails for the members its error names and changes
       * those its kind says it changed (changedMembers), not the whole group.
       */
      readonly members?: readonly MemberCheck[];
    }
  | { readonly type: 'event'; readonly id: string }
  /**
   * In noop mode, what a resource would change (e.g. a unified diff), when
   * its kind can describe it. Values it received through send/recv are
   * never shown: they may be secrets.
   */
  | {
      readonly type: 'diff';
      readonly id: string;
      readonly diff: string;
      /** For a group (autogroup) whose kind says which members a change is for: their ids, whom the diff is about. */
      readonly members?: readonly string[];
    }
  | { readonly type: 'swap'; readonly resources: number; readonly edges: number };

export type EngineEventListener = (event: EngineEvent) => void;
