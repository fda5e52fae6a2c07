import type { MetaParams } from '@converge/engine-api';

/**
 * The tries left after a failure of one call of a resource (`meta.retry`;
 * -1: without limit), and the warning that announces each. A vertex has one
 * for checkApply and one for its watch: as in mgmt, a failing watch does not
 * use up the checks' tries, nor the other way round.
 */
export class RetryBudget {
  readonly #meta: MetaParams;
  readonly #call: 'checkApply' | 'watch';
  #left: number;

  constructor(meta: MetaParams, call: 'checkApply' | 'watch') {
    this.#meta = meta;
    this.#call = call;
    this.#left = meta.retry;
  }

  /** A replacement keeps its predecessor's retry budget, unless `meta.reset` asks to start afresh. */
  inheritFrom(previous: RetryBudget): void {
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
    return `${this.#call} failed, retrying ${when} (${left}): ${failure}`;
  }
}

/** When a retry comes, as a person reads it: `in 500 ms`, `in 2.5 s`, `at once`. */
function afterDelay(ms: number): string {
  if (ms <= 0) return 'at once';
  return ms < 1000 ? `in ${ms} ms` : `in ${Number((ms / 1000).toFixed(1))} s`;
}
