import { EngineError, type MetaParams, type ResourceInstance } from '@converge/engine-api';
import { resourceError } from './resource-call.js';
import { FailingStreak } from './failing-streak.js';
import { RepeatedFailure } from './repeated-failure.js';
import { RetryBudget } from './retry-budget.js';

/** How long a watch gets to end after its abort before stopping goes on without it. */
const WATCH_STOP_GRACE_MS = 5_000;
const REWATCH_FIRST_BACKOFF_MS = 100;
const REWATCH_MAX_BACKOFF_MS = 5_000;
/**
 * A start of a watch that stayed up this long before it failed had
 * recovered: its failure is told as a warning again, whatever it says. A
 * flapping watch (a command that exits, a refused connection) fails well
 * within it, and is told once per distinct failure.
 */
const WATCH_RECOVERED_MS = 5_000;

/** What a resource's watch tells the vertex it belongs to. */
export interface WatchHost {
  readonly id: string;
  readonly meta: MetaParams;
  /**
   * In a run that ends once converged: how long a watch restarted without
   * limit may keep failing before its resource fails for good (see
   * FailingStreak); undefined in a run that goes on, which restarts it for ever.
   */
  readonly giveUpAfterMs: number | undefined;
  /** Nothing to wait for before the first run: not watched (one-shot), polled, or a kind without a watch. */
  readyNow(): void;
  /** Polled: something may have changed. */
  poke(): void;
  /** The watch ended or failed, and neither `meta.rewatch` nor a retry left restarts it: the vertex can never run again. */
  watchDied(error: EngineError): void;
  /** The watch failed with `error` and is started again (`meta.retry`, `meta.rewatch`): until it is live again, the vertex is not converged. */
  restarting(error: EngineError): void;
  log(level: 'warn' | 'debug', message: string): void;
}

/**
 * The watch side of one vertex: the resource's `watch` (restarted with a
 * growing delay under `meta.rewatch`, else after `meta.delay` while
 * `meta.retry` allows), or the `meta.poll` timer that stands in for it. The
 * watch's own events reach the vertex through the resource context, not
 * through here.
 */
export class ResourceWatch {
  readonly #host: WatchHost;
  readonly #instance: ResourceInstance<Record<string, unknown>, Record<string, unknown>>;
  /** False in a one-shot run: every resource is checked once, nothing watched or polled. */
  readonly #watching: boolean;
  #stopped = false;
  #controller: AbortController | undefined;
  #done: Promise<void> | undefined;
  #rewatchBackoffMs = REWATCH_FIRST_BACKOFF_MS;
  #rewatchTimer: NodeJS.Timeout | undefined;
  /** Its own, as in mgmt: a failing watch does not spend the checks' retries. Not carried over by a graph swap: a replacement's watch is a new one. */
  readonly #retries: RetryBudget;
  #retryTimer: NodeJS.Timeout | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  /** When the watch last started (performance.now()). */
  #startedAt = 0;
  /** Only for a watch restarted without limit, in a run that ends once converged. */
  readonly #streak: FailingStreak | undefined;
  /** Whether a restart's failure is news, by the rule of a check's retries. */
  readonly #failures = new RepeatedFailure();

  constructor(host: WatchHost, instance: ResourceInstance<Record<string, unknown>, Record<string, unknown>>, watching: boolean) {
    this.#host = host;
    this.#instance = instance;
    this.#watching = watching;
    this.#retries = new RetryBudget(host.meta, 'watch');
    const unlimited = host.meta.rewatch || host.meta.retry < 0;
    if (unlimited && host.giveUpAfterMs !== undefined) this.#streak = new FailingStreak(host.giveUpAfterMs);
  }

  /** A failed watch waits (`meta.delay`, or rewatch's backoff) before it starts again: an event meanwhile is not the new watch's. */
  get restartPending(): boolean {
    return this.#retryTimer !== undefined || this.#rewatchTimer !== undefined;
  }

  /** The whole retry budget again (`meta.retryreset`, after a successful check, as for the checks' own). */
  resetRetries(): void {
    this.#retries.reset();
  }

  start(): void {
    const host = this.#host;
    const instance = this.#instance;
    if (!this.#watching) {
      host.readyNow();
      return;
    }
    if (host.meta.poll > 0 || !instance.watch) {
      host.readyNow();
      if (host.meta.poll > 0) this.#pollTimer = setInterval(() => host.poke(), host.meta.poll * 1000);
      return;
    }
    const controller = new AbortController();
    this.#controller = controller;
    this.#startedAt = performance.now();
    let watching: Promise<void>;
    try {
      watching = Promise.resolve(instance.watch(controller.signal));
    } catch (error) {
      watching = Promise.reject(error);
    }
    this.#done = watching.then(
      () => {
        if (controller.signal.aborted) return;
        this.#failed(new EngineError('ERR_RESOURCE_WATCH', 'watch returned before it was asked to stop', { resource: host.id, phase: 'watch' }));
      },
      (error: unknown) => {
        if (!controller.signal.aborted) this.#failed(resourceError(host.id, 'watch', error));
      },
    );
  }

  #failed(error: EngineError): void {
    if (this.#stopped) return;
    if (this.#streak?.failed(this.#startedAt)) {
      this.#host.watchDied(this.#keepsFailing(error, this.#streak));
      return;
    }
    if (performance.now() - this.#startedAt >= WATCH_RECOVERED_MS) {
      // It had recovered: news again, and restarted as soon as a first failure is.
      this.#failures.forget();
      this.#rewatchBackoffMs = REWATCH_FIRST_BACKOFF_MS;
    }
    const level = this.#failures.level(error.message);
    if (this.#host.meta.rewatch) {
      this.#host.log(level, `watch failed, restarting: ${error.message}`);
      // Down until the new watch is live, as under retry (QA: a watch that never stayed up counted as converged).
      this.#host.restarting(error);
      this.#rewatchTimer = setTimeout(() => {
        this.#rewatchTimer = undefined;
        this.start();
      }, this.#rewatchBackoffMs);
      this.#rewatchBackoffMs = Math.min(REWATCH_MAX_BACKOFF_MS, this.#rewatchBackoffMs * 2);
      return;
    }
    if (this.#retries.spent) {
      this.#host.watchDied(error);
      return;
    }
    this.#host.log(level, this.#retries.take(false, error.message));
    this.#host.restarting(error);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.start();
    }, this.#host.meta.delay);
  }

  /** Why a run that ends once converged gives up on a watch restarted without limit. */
  #keepsFailing(last: EngineError, streak: FailingStreak): EngineError {
    const quiet = Number(((this.#host.giveUpAfterMs ?? 0) / 1000).toFixed(1));
    return new EngineError('ERR_RESOURCE_WATCH', `its watch keeps failing (${streak.describe()}, never up for the ${quiet} s quiet time), so the graph cannot converge: ${last.message}`, {
      resource: this.#host.id,
      phase: 'watch',
      hint: 'fix what makes the watch fail; a run without --converged-exit goes on restarting it',
      cause: last,
    });
  }

  /** Aborts the watch (and any restart or poll) and waits, up to a grace period, for it to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#pollTimer);
    clearTimeout(this.#rewatchTimer);
    this.#rewatchTimer = undefined;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#controller?.abort(new Error('stopping'));
    if (!this.#done) return;
    const timedOut = Symbol('timeout');
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      this.#done,
      new Promise<symbol>((resolve) => (timer = setTimeout(() => resolve(timedOut), WATCH_STOP_GRACE_MS))),
    ]);
    clearTimeout(timer);
    if (result === timedOut) this.#host.log('warn', `watch did not stop within ${WATCH_STOP_GRACE_MS} ms of its abort`);
  }
}
