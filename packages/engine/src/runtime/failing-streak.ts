/**
 * How long a call restarted or retried without limit has kept failing:
 * since its first failure, with nothing in between that worked. For a
 * watch (`meta.rewatch`, or `retry: -1`), a start that stayed up for
 * `limitMs` (the converger's quiet time) worked; for a check (`retry: -1`),
 * a success. A run that ends once the graph converges gives up on such a
 * call (its resource fails, as when a retry budget is spent): while it fails
 * the graph cannot converge, and retried for ever it would hold the run
 * open for ever.
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
    if (now - startedAt >= this.#limitMs) this.reset();
    return this.failedAgain(now);
  }

  /** One more failure of a call that is not up between failures (a check): true once the streak has lasted the limit. */
  failedAgain(now = performance.now()): boolean {
    this.#since ??= now;
    this.#failures++;
    return now - this.#since >= this.#limitMs;
  }

  /** It worked (a check succeeded): the next failure begins a new streak. */
  reset(): void {
    this.#since = undefined;
    this.#failures = 0;
  }

  /** `6 failures in 3.1 s`, for the message that gives up. */
  describe(now = performance.now()): string {
    const seconds = Number(((now - (this.#since ?? now)) / 1000).toFixed(1));
    return `${this.#failures} failure${this.#failures === 1 ? '' : 's'} in ${seconds} s`;
  }
}
