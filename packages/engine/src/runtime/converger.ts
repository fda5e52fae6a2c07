import { EventValue } from './event-value.js';

/**
 * Decides when the whole graph is converged: every resource idle (nothing
 * pending or running) and no activity for `timeoutSeconds`. Resources report
 * busy/idle transitions; only a count is kept, so this is O(1) per change
 * whatever the size of the graph. A timeout of -1 never converges.
 */
export class Converger {
  readonly converged = new EventValue(false);
  readonly #timeoutMs: number;
  #busy = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(timeoutSeconds: number) {
    this.#timeoutMs = timeoutSeconds < 0 ? -1 : timeoutSeconds * 1000;
  }

  get busyCount(): number {
    return this.#busy;
  }

  busy(): void {
    this.#busy++;
    if (this.#busy === 1) this.#unsettle();
  }

  idle(): void {
    this.#busy--;
    if (this.#busy === 0) this.#settle();
  }

  /** Settles at once when nothing is busy (e.g. an empty graph). */
  check(): void {
    if (this.#busy === 0) this.#settle();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #settle(): void {
    if (this.#closed || this.#timeoutMs < 0) return;
    clearTimeout(this.#timer);
    if (this.#timeoutMs === 0) {
      this.converged.set(true);
      return;
    }
    this.#timer = setTimeout(() => {
      if (this.#busy === 0) this.converged.set(true);
    }, this.#timeoutMs);
  }

  #unsettle(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.converged.get()) this.converged.set(false);
  }
}
