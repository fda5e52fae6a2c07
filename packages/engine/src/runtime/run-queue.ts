import { performance } from 'node:perf_hooks';

/** Something the queue runs: a vertex's process loop. */
export interface Runnable {
  run(): void;
}

/**
 * How long one drain may hold the event loop before it lets I/O and timers
 * in (watch events among them) and goes on in the next turn.
 */
const DRAIN_SLICE_MS = 10;

/**
 * The vertices that were poked and must run, run together. A poke only
 * queues its vertex; one microtask then runs every queued vertex, and the
 * vertices they poke in turn (children after a change, parents a child
 * waits for) join the same drain. So a poke never runs a loop inline (a
 * chain of pokes would recurse as deep as the graph is long), and a burst
 * of pokes (a whole graph whose watches came up together) costs one
 * microtask instead of one promise per vertex. Checks that answer at once
 * finish inside the drain; the others go on by themselves.
 */
export class RunQueue {
  #queue: Runnable[] = [];
  #next = 0;
  #scheduled = false;
  #drained: { promise: Promise<void>; resolve: () => void } | undefined;

  /** `onError` hears of a runnable that threw (a bug: vertices handle their own failures). */
  constructor(private readonly onError: (error: unknown) => void) {}

  add(runnable: Runnable): void {
    this.#queue.push(runnable);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#drain());
  }

  /**
   * Runs what is queued now, in this call, rather than in the microtask to
   * come: for a caller that queues many vertices in one go (the engine
   * starting a graph) and wants each run soon after it was queued.
   */
  runQueued(): void {
    if (this.#scheduled) this.#drain();
  }

  /** Resolves once nothing queued is left to start. */
  drained(): Promise<void> {
    if (!this.#scheduled) return Promise.resolve();
    if (!this.#drained) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      this.#drained = { promise, resolve };
    }
    return this.#drained.promise;
  }

  #drain(): void {
    const deadline = performance.now() + DRAIN_SLICE_MS;
    while (this.#next < this.#queue.length) {
      const runnable = this.#queue[this.#next++] as Runnable;
      try {
        runnable.run();
      } catch (error) {
        // Nothing one of them throws may stop the others.
        this.onError(error);
      }
      if ((this.#next & 63) === 0 && performance.now() > deadline) {
        // The ones run are let go now: under a storm of events the drain may not end for a while.
        this.#queue = this.#queue.slice(this.#next);
        this.#next = 0;
        setImmediate(() => this.#drain());
        return;
      }
    }
    this.#queue = [];
    this.#next = 0;
    this.#scheduled = false;
    const drained = this.#drained;
    this.#drained = undefined;
    drained?.resolve();
  }
}
