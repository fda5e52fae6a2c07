import { EventValue } from './event-value.js';

/**
 * Decides when the whole graph is converged: every resource idle (nothing
 * pending or running) and nothing changed for `timeoutSeconds`. As in mgmt,
 * only a change restarts the quiet time (a checkApply that changed
 * something or failed, a new graph): a poll or an event whose check finds
 * everything in order does not, so a polled graph still converges.
 * Resources report busy/idle transitions; only a count is kept, so this is
 * O(1) per change whatever the size of the graph. A timeout of -1 never
 * converges.
 */
export class Converger {
  readonly converged = new EventValue(false);
  readonly #timeoutMs: number;
  #busy = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** When something last changed (performance.now()). */
  #quietSince = performance.now();

  constructor(timeoutSeconds: number) {
    this.#timeoutMs = timeoutSeconds < 0 ? -1 : timeoutSeconds * 1000;
  }

  get busyCount(): number {
    return this.#busy;
  }

  /** A resource has a run pending or under way: no convergence is declared until it is idle again. */
  busy(): void {
    this.#busy++;
    if (this.#busy === 1) this.#cancelTimer();
  }

  idle(): void {
    this.#busy--;
    if (this.#busy === 0) this.#settle();
  }

  /** Something changed (or failed): not converged, and the quiet time starts again. */
  changed(): void {
    this.#quietSince = performance.now();
    this.#cancelTimer();
    if (this.converged.get()) this.converged.set(false);
    if (this.#busy === 0) this.#settle();
  }

  /** Settles at once when nothing is busy (e.g. an empty graph). */
  check(): void {
    if (this.#busy === 0) this.#settle();
  }

  close(): void {
    this.#closed = true;
    this.#cancelTimer();
  }

  #settle(): void {
    if (this.#closed || this.#timeoutMs < 0 || this.converged.get()) return;
    this.#cancelTimer();
    const left = this.#quietSince + this.#timeoutMs - performance.now();
    if (left <= 0) {
      this.converged.set(true);
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#busy === 0) this.converged.set(true);
    }, left);
  }

  #cancelTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
