import { setTimeout as sleep } from 'node:timers/promises';
import { EngineError, type AnyResourceDefinition, type MetaParams, type ResourceInstance } from '@converge/engine-api';
import { changedOtherMembers } from './check-failure.js';
import type { RateLimiter } from './rate-limiter.js';
import { checkedResult, type CheckedResource } from './plugin-returns.js';
import { callResource } from './resource-call.js';
import type { Retries } from './retries.js';
import { dropUnchangedReversals, recordReversals, type RecordedReversal, type ReversalSubject } from './reversal-steps.js';
import type { VertexEnv } from './vertex-env.js';

type Instance = ResourceInstance<Record<string, unknown>, Record<string, unknown>>;

/** What a run with waits needs of its vertex, and the steps of the run it leaves to it. */
export interface CheckWithWaitsHost extends CheckedResource {
  readonly id: string;
  readonly kind: string;
  readonly meta: MetaParams;
  readonly definition: AnyResourceDefinition;
  readonly children: readonly { readonly notify: boolean }[];
  readonly env: VertexEnv;
  readonly limiter: RateLimiter | undefined;
  readonly retries: Retries;
  /** The vertex has recorded its reversal, or extended a stored one to what it manages now (meta.reverse). */
  reversalChecked(): boolean;
  setReversalChecked(checked: boolean): void;
  /** Reversal bookkeeping (see reversal-steps.ts) for the vertex's resources (a group's members too) as they are now. */
  reversalSubjects(instance: Instance): ReversalSubject[];
  refreshPending(): boolean;
  /** Notes the refresh store's sentCount for the vertex as its check begins: refreshes sent later are not cleared by it. */
  noteRefreshesSeen(): void;
  persistRefreshes(converged: boolean, applied: boolean, refreshed: boolean): Promise<void>;
  /** Clears the vertex's refresh intent, logging a failure to. */
  clearRefreshIntent(): Promise<void>;
  beginCheck(): AbortController;
  /** True when the budget allows a retry (see Vertex's checkFailed); a dry run that would change before failing says so first. */
  checkFailed(error: unknown, apply: boolean, waits: AbortSignal): boolean | Promise<boolean>;
  checkSucceeded(instance: Instance, apply: boolean, converged: boolean, refreshing: boolean): Promise<void> | undefined;
  /** A wait was cut short by a swap (or a stop): run again once the swap is done. */
  deferForSwap(): void;
  /** A wait before a retry was cut short: by a stop, the last failure stands; by a swap, the run is deferred. */
  retryCutShort(): void;
  log(level: 'warn', message: string): void;
}

/**
 * A run that waits for limits, semaphores, a timeout, a reversal or refresh
 * bookkeeping. Retries loop here (not recurse), so a resource that retries
 * forever holds one pending call, not one more per attempt.
 */
export async function processWithWaits(vertex: CheckWithWaitsHost, instance: Instance, apply: boolean): Promise<void> {
  for (;;) {
    const waits = vertex.env.waitSignal();
    const outcome = await attemptWithWaits(vertex, instance, apply, waits);
    if (outcome === 'done') return;
    await vertex.retries.untilTimedOutCallEnded(waits, (message) => vertex.log('warn', message));
    if (!(await waitToRetry(vertex, waits))) return;
  }
}

/** The retries of a run that failed at once: the rest of them loop in processWithWaits. */
export async function retryAfterDelay(vertex: CheckWithWaitsHost, instance: Instance, apply: boolean, waits: AbortSignal): Promise<void> {
  if (await waitToRetry(vertex, waits)) await processWithWaits(vertex, instance, apply);
}

/**
 * Waits `meta.delay`; false when a swap cut the wait short (the run is
 * then deferred) or a stop did: no retry will come, so the last failure
 * stands, as it does for a check that fails while the stop lands (where
 * the stop lands must not decide how the run ends).
 */
async function waitToRetry(vertex: CheckWithWaitsHost, waits: AbortSignal): Promise<boolean> {
  try {
    await sleep(vertex.meta.delay, undefined, { signal: waits });
    return true;
  } catch {
    vertex.retryCutShort();
    return false;
  }
}

/** One attempt of processWithWaits: 'retry' when it failed and may be tried again. */
async function attemptWithWaits(vertex: CheckWithWaitsHost, instance: Instance, apply: boolean, waits: AbortSignal): Promise<'done' | 'retry'> {
  const { env, meta } = vertex;
  let release: (() => void) | undefined;
  let refreshing = false;
  let recorded: RecordedReversal[] = [];
  let intent = false;
  try {
    if (vertex.limiter) await vertex.limiter.take(waits);
    const semas = env.globalSema ? [...meta.sema, env.globalSema] : meta.sema;
    if (semas.length > 0) release = await env.semaphores.acquireAll(semas, waits);
    if (waits.aborted) {
      release?.();
      vertex.deferForSwap();
      return 'done';
    }
    if (apply && meta.reverse && vertex.definition.reversible && !vertex.reversalChecked()) {
      recorded = await recordReversals(vertex.reversalSubjects(instance), env.reversals);
      vertex.setReversalChecked(true);
    }
    refreshing = apply && vertex.refreshPending();
    vertex.noteRefreshesSeen();
    intent = apply && vertex.children.some((edge) => edge.notify);
    if (intent) await env.refreshes.setIntent(vertex.id);
    if (waits.aborted) {
      // Stopped (or a swap began) while the reversal or the intent was
      // written: the check does not start. A forced stop found no call to
      // abort, and one started now would be waited for, for ever if it
      // hangs (a test caught it under load).
      if (intent) await env.refreshes.clearIntent(vertex.id).catch(() => undefined);
      release?.();
      vertex.deferForSwap();
      return 'done';
    }
  } catch (error) {
    release?.();
    if (waits.aborted && !(error instanceof EngineError)) {
      // A retry held back by `limit` (or a semaphore) when the run stops: its last failure stands, as in a retry delay.
      vertex.retryCutShort();
      return 'done';
    }
    // A reversal or refresh intent that could not be stored fails the run like checkApply would.
    return (await vertex.checkFailed(error, apply, waits)) ? 'retry' : 'done';
  }
  const controller = vertex.beginCheck();
  let converged: boolean;
  try {
    const check = (): boolean | Promise<boolean> => checkedResult(instance.checkApply(apply, controller.signal), vertex);
    converged = await callResource(vertex.id, 'checkApply', check, meta.timeout, controller);
  } catch (error) {
    release?.();
    if (recorded.length > 0 && (await dropUnchangedReversals(recorded, env.reversals))) vertex.setReversalChecked(false);
    // A check that failed by itself refreshes nobody (as in mgmt): the intent
    // is for a check cut off mid-change (a crash, a forced stop), not for a
    // failure. But a group that failed for some members and changed others
    // owes their refresh: its children get it when they next run.
    if (intent && !controller.signal.aborted) {
      if (changedOtherMembers(instance, error)) await vertex.persistRefreshes(false, true, false);
      await vertex.clearRefreshIntent();
    }
    return (await vertex.checkFailed(error, apply, waits)) ? 'retry' : 'done';
  }
  release?.();
  await vertex.checkSucceeded(instance, apply, converged, refreshing);
  return 'done';
}
