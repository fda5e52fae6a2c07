import type { Lease, Namespace } from 'etcd3';
import { retryUntilReachable } from './etcd-retry.js';
import type { WorldReachability } from './world-reachability.js';

/**
 * Keys that live as long as this process does: bound to one etcd lease kept
 * alive in the background. When the lease is lost (etcd gone longer than the
 * TTL) a new one is granted once etcd is back and every key is written again.
 * Writes never throw: a key that cannot be written now is written on renewal.
 */
export class LeasedKeys {
  readonly #ns: Namespace;
  readonly #ttl: number;
  readonly #reachability: WorldReachability;
  readonly #closed: AbortSignal;
  readonly #keys = new Map<string, string>();
  /** The write under way of each key being written (see set). */
  readonly #writing = new Map<string, Promise<boolean>>();
  #lease: Lease | undefined;
  #renewing: Promise<void> | undefined;

  constructor(ns: Namespace, ttlSeconds: number, reachability: WorldReachability, closed: AbortSignal) {
    this.#ns = ns;
    this.#ttl = ttlSeconds;
    this.#reachability = reachability;
    this.#closed = closed;
  }

  /**
   * Writes the key's newest value. Writes of one key go one at a time: two
   * puts sent together may land in either order, and a host's first status
   * (no graph yet) then overwrote the one sent just after it, for as long as
   * the host ran (QA: `converge status` showed 0 resources).
   * Resolves true once etcd holds this value (or a newer one set since);
   * false when etcd did not answer, and the renewal writes it once it does.
   */
  set(key: string, value: string): Promise<boolean> {
    this.#keys.set(key, value);
    if (this.#renewing) return Promise.resolve(false); // the renewal writes it
    const writing = this.#writing.get(key);
    if (writing) return writing; // it writes this value once its put is done
    const started = this.#writeNewest(key).finally(() => this.#writing.delete(key));
    this.#writing.set(key, started);
    return started;
  }

  async #writeNewest(key: string): Promise<boolean> {
    for (;;) {
      const value = this.#keys.get(key);
      if (value === undefined || this.#renewing) return false;
      const begun = this.#reachability.begin();
      try {
        await this.#currentLease().put(key).value(value).exec();
        this.#reachability.succeeded(begun);
      } catch (error) {
        this.#reachability.failed(error);
        this.#renew();
        return false;
      }
      if (this.#keys.get(key) === value) return true;
    }
  }

  async delete(key: string): Promise<void> {
    this.#keys.delete(key);
    // After a put under way, or that put would bring the key back.
    await this.#writing.get(key);
    try {
      await this.#ns.delete().key(key).exec();
    } catch (error) {
      this.#reachability.failed(error);
    }
  }

  /** Revokes the lease so this host's keys disappear at once (not after the TTL). */
  async close(): Promise<void> {
    const lease = this.#lease;
    this.#lease = undefined;
    if (!lease) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      lease.revoke().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 1000);
      }),
    ]);
    clearTimeout(timer);
    lease.release();
  }

  #currentLease(): Lease {
    if (this.#lease) return this.#lease;
    const lease = this.#ns.lease(this.#ttl);
    lease.on('lost', () => {
      if (this.#lease !== lease) return;
      this.#lease = undefined;
      lease.release();
      this.#renew();
    });
    this.#lease = lease;
    return lease;
  }

  #renew(): void {
    if (this.#renewing || this.#closed.aborted) return;
    this.#renewing = retryUntilReachable(
      async () => {
        const lease = this.#currentLease();
        try {
          await lease.grant();
          for (const [key, value] of this.#keys) await lease.put(key).value(value).exec();
        } catch (error) {
          // A lease that failed to grant or write may be dead on the server: start over with a new one.
          if (this.#lease === lease) this.#lease = undefined;
          lease.release();
          throw error;
        }
      },
      this.#reachability,
      this.#closed,
    ).then(() => {
      this.#renewing = undefined;
    });
  }
}
