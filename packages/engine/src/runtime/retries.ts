import { setTimeout as sleep } from 'node:timers/promises';
import { EngineError, type MetaParams } from '@converge/engine-api';
import { FailingStreak } from './failing-streak.js';
import { RetryBudget } from './retry-budget.js';

/** The longest a retry waits for a timed-out checkApply to end (a command's group gets 2 s after SIGTERM, then SIGKILL). */
const TIMED_OUT_CALL_WAIT_MS = 5_000;

/**
 * The least time a check retried without limit is tried in a run that ends
 * once converged, whatever the converger's quiet time: a one-shot run's is
 * 0, which would make `retry: -1` a single try there.
 */
const KEEPS_FAILING_FLOOR_MS = 5_000;

/** The retries a vertex has left after a failed checkApply, and the timed-out call the next one waits out. */
export class Retries extends RetryBudget {
  /** When the last checkApply timed out: when it has really ended. */
  #timedOutCallEnding: Promise<void> | undefined;
  /** Only under `retry: -1`, in a run that ends once converged. */
  readonly #streak: FailingStreak | undefined;

  /** `giveUpAfterMs`: in a run that ends once converged, the converger's quiet time (see keepsFailing); else undefined. */
  constructor(meta: MetaParams, giveUpAfterMs: number | undefined) {
    super(meta, 'checkApply');
    if (meta.retry < 0 && giveUpAfterMs !== undefined) this.#streak = new FailingStreak(Math.max(giveUpAfterMs, KEEPS_FAILING_FLOOR_MS));
  }

  /**
   * One more failure (`last`). Retried without limit, in a run that ends
   * once converged, a check that has failed since its first failure for
   * the quiet time (and at least KEEPS_FAILING_FLOOR_MS) is given up on, as
   * a watch restarted without limit is: while it fails the graph cannot
   * converge, and the run would never end (QA: a one-shot run retried
   * /bin/false until a signal). Returns the error its resource then fails
   * with, undefined while it is to be retried.
   */
  keepsFailing(last: EngineError, now = performance.now()): EngineError | undefined {
    const streak = this.#streak;
    if (!streak?.failedAgain(now)) return undefined;
    return new EngineError(last.code, `its check keeps failing (${streak.describe(now)}, retry: -1), so the graph cannot converge: ${last.message}`, {
      resource: last.resource,
      phase: last.phase,
      hint: 'fix what makes the check fail; to wait a bounded time for it to pass, give meta: {retry: N, delay: MS}; a run without --converged-exit goes on retrying',
      cause: last,
      ...(last.members === undefined ? {} : { members: last.members }),
    });
  }

  /** A successful check: a later failure begins a new streak. */
  succeeded(): void {
    this.#streak?.reset();
  }

  /** The failed call's ending, when it timed out (see endingOf): the next retry waits for it. */
  noteTimedOutCall(ending: Promise<void> | undefined): void {
    this.#timedOutCallEnding = ending;
  }

  /**
   * A retry after a timeout waits for the timed-out call to end (its abort
   * stops it: a command's group is killed, after its grace), so that two
   * runs of one command never overlap; a call that ignores its abort is
   * given up on after TIMED_OUT_CALL_WAIT_MS, with a warning.
   */
  async untilTimedOutCallEnded(waits: AbortSignal, warn: (message: string) => void): Promise<void> {
    const ending = this.#timedOutCallEnding;
    this.#timedOutCallEnding = undefined;
    if (ending === undefined) return;
    // A stop or a swap cuts the wait short (the retry is then deferred or dropped).
    const done = new AbortController();
    const givenUp = sleep(TIMED_OUT_CALL_WAIT_MS, false, { signal: AbortSignal.any([waits, done.signal]) }).catch(() => true);
    const ended = await Promise.race([ending.then(() => true), givenUp]);
    done.abort();
    if (!ended) warn(`the timed-out checkApply has not ended after ${TIMED_OUT_CALL_WAIT_MS / 1000} s; trying again while it runs on`);
  }
}
