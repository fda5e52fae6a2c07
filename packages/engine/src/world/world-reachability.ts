import type { Logger } from '@converge/engine-api';
import { EventValue } from '../runtime/event-value.js';

/**
 * Remembers whether the world answered last time, so that losing it is
 * logged once (not once per failed call or retry) and getting it back once.
 * Before it first answered there is nothing to lose: a first failure is
 * only logged at debug level (whoever started the world tells it, see `answered`).
 */
export class WorldReachability {
  /** Whether the world answered the last call; undefined until a first call ended. */
  readonly answered = new EventValue<boolean | undefined>(undefined);
  readonly #log: Logger;
  readonly #where: string;
  /** What to tell of a failure (see MemberFailures.explain). */
  readonly #explain: (error: unknown) => unknown;
  #everAnswered = false;
  /** Calls begun and failures seen, counted together: which call began before which failure. */
  #sequence = 0;
  #lastFailure = 0;

  constructor(log: Logger, where: string, explain: (error: unknown) => unknown = (error) => error) {
    this.#log = log;
    this.#where = where;
    this.#explain = explain;
  }

  get reachable(): boolean {
    return this.answered.get() !== false;
  }

  /**
   * A call is about to be made: what `succeeded` takes, so that an answer to
   * a call begun before a failure was seen (a reply in flight when members
   * died, read late on a loaded machine) does not count as the world back.
   */
  begin(): number {
    return ++this.#sequence;
  }

  failed(failure: unknown): void {
    this.#lastFailure = ++this.#sequence;
    if (this.answered.get() === false) return;
    this.answered.set(false);
    const error = this.#explain(failure);
    // Without gRPC's empty "Resolution note:" ending (QA: it stood at the end of every such warning).
    const fields = { error: (error instanceof Error ? error.message : String(error)).replace(/\.?\s*Resolution note:\s*$/, '') };
    if (!this.#everAnswered) this.#log.debug(`the world (etcd at ${this.#where}) has not answered yet; retrying`, fields);
    else this.#log.warn(`the world (etcd at ${this.#where}) is unreachable; enforcing the last graph and retrying`, fields);
  }

  /** A call answered; `begun` is what `begin` gave it (without it, the answer counts whenever it came). */
  succeeded(begun?: number): void {
    if (begun !== undefined && begun < this.#lastFailure) return;
    if (this.answered.get() === true) return;
    this.answered.set(true);
    if (this.#everAnswered) this.#log.info(`the world (etcd at ${this.#where}) is reachable again`);
    this.#everAnswered = true;
  }
}
