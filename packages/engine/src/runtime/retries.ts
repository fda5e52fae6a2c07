import { setTimeout as sleep } from 'node:timers/promises';
import type { MetaParams } from '@converge/engine-api';

/** The longest a retry waits for a timed-out checkApply to end (a command's group gets 2 s after SIGTERM, then SIGKILL). */
const TIMED_OUT_CALL_WAIT_MS = 5_000;

/** The retries a vertex has left after a failed checkApply (`meta.retry`; -1: without limit), and the timed-out call the next one waits out. */
export class Retries {
  readonly #meta: MetaParams;
  #left: number;
  /** When the last checkApply timed out: when it has really ended. */
  #timedOutCallEnding: Promise<void> | undefined;

  constructor(meta: MetaParams) {
    this.#meta = meta;
    this.#left = meta.retry;
  }

  /** A replacement keeps its predecessor's retry budget, unless `meta.reset` asks to start afresh. */
  inheritFrom(previous: Retries): void {
    if (this.#meta.reset) return;
    const left = previous.#left;
    this.#left = this.#meta.retry < 0 ? -1 : Math.min(this.#meta.retry, left < 0 ? this.#meta.retry : left);
  }

  /** The whole budget again (`meta.retryreset`, after a success). */
  reset(): void {
    this.#left = this.#meta.retry;
  }

  get spent(): boolean {
    return this.#left === 0;
  }

  /** Spends one retry; returns the warning that says when it comes (`limited`: held by `meta.limit`) and how many are left. */
  take(limited: boolean, failure: string): string {
    if (this.#left > 0) this.#left--;
    const left = this.#left < 0 ? 'retries without limit' : `${this.#left} more after it`;
    const when = limited && this.#meta.delay <= 0 ? 'as its limit allows' : afterDelay(this.#meta.delay);
    return `checkApply failed, retrying ${when} (${left}): ${failure}`;
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

/** When a retry comes, as a person reads it: `in 500 ms`, `in 2.5 s`, `at once`. */
function afterDelay(ms: number): string {
  if (ms <= 0) return 'at once';
  return ms < 1000 ? `in ${ms} ms` : `in ${Number((ms / 1000).toFixed(1))} s`;
}
