import { setTimeout as sleep } from 'node:timers/promises';
import type { MetaParams } from '@converge/engine-api';
import { RetryBudget } from './retry-budget.js';

/** The longest a retry waits for a timed-out checkApply to end (a command's group gets 2 s after SIGTERM, then SIGKILL). */
const TIMED_OUT_CALL_WAIT_MS = 5_000;

/** The retries a vertex has left after a failed checkApply, and the timed-out call the next one waits out. */
export class Retries extends RetryBudget {
  /** When the last checkApply timed out: when it has really ended. */
  #timedOutCallEnding: Promise<void> | undefined;

  constructor(meta: MetaParams) {
    super(meta, 'checkApply');
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
