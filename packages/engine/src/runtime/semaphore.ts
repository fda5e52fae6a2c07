/**
 * A counting semaphore for the `sema` metaparam: `id:N` lets N resources
 * holding `id` run checkApply at once. Waiters are served in arrival order.
 */
export class Semaphore {
  readonly size: number;
  #held = 0;
  #waiters: Array<() => void> = [];

  constructor(size: number) {
    this.size = size;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    if (this.#held < this.size) {
      this.#held++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== grant);
        reject(signal?.reason);
      };
      this.#waiters.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    // The slot passes straight to the next waiter, so `held` stays the same.
    if (next) next();
    else this.#held--;
  }
}

/** Parses `id` (size 1) or `id:N`. Validation happened when the graph loaded. */
export function parseSemaId(spec: string): { id: string; size: number } {
  const colon = spec.lastIndexOf(':');
  if (colon > 0) {
    const size = Number(spec.slice(colon + 1));
    if (Number.isInteger(size) && size >= 1) return { id: spec.slice(0, colon), size };
  }
  return { id: spec, size: 1 };
}

/**
 * All semaphores of one engine, by the text written: as in mgmt, `lock`,
 * `lock:1` and `lock:3` are three semaphores (one id with two sizes cannot
 * be one semaphore, and which size won would depend on the order).
 */
export class SemaphoreTable {
  #table = new Map<string, Semaphore>();

  get(spec: string): Semaphore {
    let sema = this.#table.get(spec);
    if (!sema) {
      sema = new Semaphore(parseSemaId(spec).size);
      this.#table.set(spec, sema);
    }
    return sema;
  }

  /**
   * Acquires every semaphore in `specs` in one global order (sorted ids), so
   * two resources sharing several semaphores can never deadlock. Returns the
   * release function.
   */
  async acquireAll(specs: readonly string[], signal?: AbortSignal): Promise<() => void> {
    const ordered = [...new Set(specs)].sort();
    const taken: Semaphore[] = [];
    try {
      for (const spec of ordered) {
        const sema = this.get(spec);
        await sema.acquire(signal);
        taken.push(sema);
      }
    } catch (error) {
      for (const sema of taken.reverse()) sema.release();
      throw error;
    }
    return () => {
      for (const sema of taken.reverse()) sema.release();
    };
  }
}
