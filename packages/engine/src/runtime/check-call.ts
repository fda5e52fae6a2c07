import { performance } from 'node:perf_hooks';
import type { ControllerPool } from './controller-pool.js';
import { abortCall, endingOf } from './resource-call.js';

/** The checkApply call a vertex has under way, if any: its controller, and when it began. */
export class CheckCall {
  #controller: AbortController | undefined;
  /** The running check's controller comes from the engine's pool (it has no timeout to abort it). */
  #pooled = false;
  /**
   * NaN, not 0, until the first check: it holds performance.now()'s
   * fractions, and a field that starts as a small integer and then takes one
   * makes V8 deprecate the shape of every vertex's call yet to run. Each of
   * those is then migrated on its next access: 3 µs a vertex, 40 ms of a
   * 10,000 file run.
   */
  #startedAt = Number.NaN;

  /** A checkApply is under way. */
  get running(): boolean {
    return this.#controller !== undefined;
  }

  /** Marks a call as started; its controller is pooled unless a timeout (`timeout` > 0) may abort it. */
  begin(timeout: number, pool: ControllerPool): AbortController {
    this.#pooled = timeout === 0;
    const controller = this.#pooled ? pool.take() : new AbortController();
    this.#controller = controller;
    this.#startedAt = performance.now();
    return controller;
  }

  end(pool: ControllerPool): void {
    const controller = this.#controller;
    this.#controller = undefined;
    if (controller && this.#pooled) pool.giveBack(controller);
  }

  /** Milliseconds since the last call began. */
  elapsedMs(): number {
    return performance.now() - this.#startedAt;
  }

  /** When the running call, if it timed out, has really ended (see endingOf). */
  ending(): Promise<void> | undefined {
    return endingOf(this.#controller);
  }

  /** Aborts the running call's signal: the resource sees it, and the call ends when the resource returns. */
  abortSignal(reason: unknown): void {
    this.#controller?.abort(reason);
  }

  /** Aborts the running call and settles it now (see abortCall). */
  abortNow(reason: unknown): void {
    if (this.#controller) abortCall(this.#controller, reason);
  }
}
