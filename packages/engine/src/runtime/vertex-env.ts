import type { World } from '@converge/engine-api';
import type { Logger as PinoLogger } from 'pino';
import type { ControllerPool } from './controller-pool.js';
import type { Converger } from './converger.js';
import type { RefreshStore } from './refresh-store.js';
import type { RunQueue } from './run-queue.js';
import type { SecretValues } from './secrets.js';
import type { ReversalStore } from './reversal-store.js';
import type { SemaphoreTable } from './semaphore.js';
import type { ResourceStatus } from './status.js';
import type { EngineEvent } from './engine-events.js';

/** What every vertex of one engine shares. */
export interface VertexEnv {
  readonly stateDir: string;
  readonly hostname: string;
  readonly world: World;
  readonly logger: PinoLogger;
  /** Global --noop. */
  readonly noop: boolean;
  /** False in a one-shot run: no watch, no poll (see EngineOptions.watch). */
  readonly watch: boolean;
  /** In a run that ends once converged: how long a watch restarted, or a check retried, without limit may keep failing (see EngineOptions.untilConverged). */
  readonly giveUpAfterMs: number | undefined;
  /** The semaphore every resource holds under global --sema N, if set. */
  readonly globalSema: string | undefined;
  readonly semaphores: SemaphoreTable;
  readonly converger: Converger;
  /** Controllers for checkApply calls that finish without a timeout. */
  readonly checkControllers: ControllerPool;
  /** Values sent under secret keys: masked in every log line and error. */
  readonly secrets: SecretValues;
  /** Where poked vertices wait for their run. */
  readonly runQueue: RunQueue;
  readonly refreshes: RefreshStore;
  /** Aborts when the engine begins to stop: waits (retry delay, limit, sema) end. */
  readonly stopSignal: AbortSignal;
  readonly reversals: ReversalStore;
  /** True while a graph swap is under way: no checkApply starts. */
  paused(): boolean;
  /** Aborts when the engine stops or a swap begins: for waits inside a run (retry delay, limit, sema). */
  waitSignal(): AbortSignal;
  /** A strictly increasing counter used as the vertices' timestamps. */
  nextTimestamp(): number;
  /**
   * Called on every state change of a vertex, for status displays; the
   * status is asked of `source` only when someone listens (a vertex passes
   * itself: no closure per change).
   */
  statusChanged(source: { status(): ResourceStatus }): void;
  /** True when someone listens to engine events (so events are worth making). */
  observed(): boolean;
  emit(event: EngineEvent): void;
  /**
   * While the resources of a new graph are still starting: resolves when
   * every one has (each has then declared the secrets it holds); undefined
   * otherwise.
   */
  startsPending(): Promise<void> | undefined;
}
