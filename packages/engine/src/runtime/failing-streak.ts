/**
 * How long a watch restarted without limit (`meta.rewatch`, or `retry: -1`)
 * has kept failing: since its first failure, with no start in between that
 * stayed up for `limitMs` (the converger's quiet time). A run that ends once
 * the graph converges gives up on such a watch (its resource fails, as when
 * a retry budget is spent): while it is down the graph cannot converge, and
 * restarted for ever it would hold the run open for ever.
 */
export class FailingStreak {
  readonly #limitMs: number;
  #since: number | undefined;
  #failures = 0;

  constructor(limitMs: number) {
    this.#limitMs = limitMs;
  }

  /**
   * One more failure, of a watch started at `startedAt` (performance.now()).
   * True once the streak has lasted the limit: the watch keeps failing.
   */
  failed(startedAt: number, now = performance.now()): boolean {
    // A start that stayed up for the quiet time was a working watch: its failure begins a new streak.
    if (this.#since === undefined || now - startedAt >= this.#limitMs) {
      this.#since = now;
      this.#failures = 0;
    }
    this.#failures++;
    return now - this.#since >= this.#limitMs;
  }

  /** `6 failures in 3.1 s`, for the message that gives up. */
  describe(now = performance.now()): string {
    const seconds = Number(((now - (this.#since ?? now)) / 1000).toFixed(1));
    return `${this.#failures} failure${this.#failures === 1 ? '' : 's'} in ${seconds} s`;
  }
}
