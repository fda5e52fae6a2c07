import type { EngineError } from '@converge/engine-api';
import type { ResourceStatus } from './status.js';

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
