import type { Logger } from '@converge/engine-api';

/**
 * Remembers whether the world answered last time, so that losing it is
 * logged once (not once per failed call or retry) and getting it back once.
 */
export class WorldReachability {
  readonly #log: Logger;
  readonly #where: string;
  #reachable = true;

  constructor(log: Logger, where: string) {
    this.#log = log;
    this.#where = where;
  }

  get reachable(): boolean {
    return this.#reachable;
  }

  failed(error: unknown): void {
    if (!this.#reachable) return;
    this.#reachable = false;
    this.#log.warn(`the world (etcd at ${this.#where}) is unreachable; enforcing the last graph and retrying`, {
      error: error instanceof Error ? error.message : String(error),
    });
  }

  succeeded(): void {
    if (this.#reachable) return;
    this.#reachable = true;
    this.#log.info(`the world (etcd at ${this.#where}) is reachable again`);
  }
}
