import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Token bucket for the `limit` (runs per second) and `burst` metaparams.
 * With burst 0 the bucket still holds one token, so a limited resource can
 * run at all.
 */
export class RateLimiter {
  readonly #perSecond: number;
  readonly #capacity: number;
  #tokens: number;
  #updatedAt = performance.now();

  constructor(perSecond: number, burst: number) {
    this.#perSecond = perSecond;
    this.#capacity = Math.max(1, burst);
    this.#tokens = this.#capacity;
  }

  /** Waits until a run is allowed, then takes its token. */
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      this.#refill();
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      const waitMs = ((1 - this.#tokens) / this.#perSecond) * 1000;
      await sleep(Math.max(1, Math.ceil(waitMs)), undefined, { signal });
    }
  }

  #refill(): void {
    const now = performance.now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#updatedAt) / 1000) * this.#perSecond);
    this.#updatedAt = now;
  }
}
