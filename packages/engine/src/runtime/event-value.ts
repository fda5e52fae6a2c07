/**
 * A value one side publishes and others watch. A watcher's `next` returns the
 * newest value it has not seen yet, never a backlog of stale ones, so a slow
 * watcher skips to the present instead of replaying history.
 */
export class EventValue<T> {
  #value: T;
  #version = 0;
  #waiters = new Set<() => void>();

  constructor(initial: T) {
    this.#value = initial;
  }

  get(): T {
    return this.#value;
  }

  /** The number of times the value was set; watchers compare against it. */
  get version(): number {
    return this.#version;
  }

  set(value: T): void {
    this.#value = value;
    this.#version++;
    if (this.#waiters.size === 0) return;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /** A watcher that starts having seen the current value. */
  watch(filter?: (value: T) => boolean): EventValueWatcher<T> {
    return new EventValueWatcher(this, filter);
  }

  /** Resolves with the first value (current or future) that passes `filter`. */
  async when(filter: (value: T) => boolean, signal?: AbortSignal): Promise<T> {
    if (filter(this.#value)) return this.#value;
    return this.watch(filter).next(signal);
  }

  /** @internal used by watchers to wait for the next set. */
  waitForSet(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.#waiters.delete(wake);
        reject(signal?.reason);
      };
      this.#waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

export class EventValueWatcher<T> {
  #source: EventValue<T>;
  #seen: number;
  #filter: ((value: T) => boolean) | undefined;
  #closed = false;
  #closeController = new AbortController();

  constructor(source: EventValue<T>, filter?: (value: T) => boolean) {
    this.#source = source;
    this.#seen = source.version;
    this.#filter = filter;
  }

  /**
   * The newest value set after the last one this watcher returned (and that
   * passes the filter). Rejects when `signal` aborts or the watcher closes.
   */
  async next(signal?: AbortSignal): Promise<T> {
    const combined = signal ? AbortSignal.any([signal, this.#closeController.signal]) : this.#closeController.signal;
    for (;;) {
      if (this.#closed) throw new Error('watcher closed');
      if (this.#source.version !== this.#seen) {
        this.#seen = this.#source.version;
        const value = this.#source.get();
        if (!this.#filter || this.#filter(value)) return value;
        continue;
      }
      await this.#source.waitForSet(combined);
    }
  }

  close(): void {
    this.#closed = true;
    this.#closeController.abort(new Error('watcher closed'));
  }
}
