import type { Logger, World, WorldChange } from '@converge/engine-api';
import { Etcd3, type Namespace, type Watcher } from 'etcd3';
import { EventValue } from '../runtime/event-value.js';
import { LeasedKeys } from './etcd-leased-keys.js';
import { KEEPALIVE, MemberFailures, firstAnswerWithin, requireLeader } from './etcd-liveness.js';
import { askMembers, noLeader } from './etcd-members.js';
import { retryUntilReachable } from './etcd-retry.js';
import { WatchFailover } from './watch-failover.js';
import { WorldReachability } from './world-reachability.js';

export interface EtcdWorldOptions {
  readonly hostname: string;
  /** Client URLs of etcd members, e.g. `http://127.0.0.1:2379`. */
  readonly seeds: readonly string[];
  /** Every key lives below this prefix, so several clusters can share one etcd. */
  readonly namespace?: string;
  readonly log: Logger;
  /** Seconds a dead host's leased keys (its status) outlive it. */
  readonly leaseTtl?: number;
}

/** How long one unary call may take before it counts as unreachable. */
const CALL_DEADLINE_MS = 3000;

/**
 * Why a call failed, without gRPC's empty "Resolution note:" ending; one
 * member's refusal names only that member, so what it can mean is said.
 */
function callFailure(cause: unknown): string {
  const message = (cause instanceof Error ? cause.message : String(cause)).replace(/\.?\s*Resolution note:\s*$/, '');
  return `${message} (no etcd member answered, or too few of them for a quorum)`;
}

/** Thrown by a world call when no etcd member answered. */
export class WorldUnreachableError extends Error {
  constructor(operation: string, cause: unknown) {
    super(`the world (etcd) is unreachable: ${operation} failed: ${callFailure(cause)}`, { cause });
    this.name = 'WorldUnreachableError';
  }
}

/**
 * The world of several hosts, in an etcd cluster. Plain calls throw
 * WorldUnreachableError when etcd cannot be reached; watches instead wait
 * and resume where they stopped (etcd3 reconnects its watch stream from the
 * last revision seen), so nothing is lost: through another member when theirs
 * dies or hangs. Losing etcd is logged once, and so is a watch stream's move.
 */
export class EtcdWorld implements World {
  readonly hostname: string;
  /** `etcd at URL[,URL...]`, for messages (see World.where). */
  readonly where: string;
  readonly #client: Etcd3;
  readonly #ns: Namespace;
  readonly #reachability: WorldReachability;
  readonly #closed = new AbortController();
  readonly #leased: LeasedKeys;
  readonly #memberFailures: MemberFailures;
  readonly #seeds: readonly string[];

  constructor(options: EtcdWorldOptions) {
    this.hostname = options.hostname;
    this.where = `etcd at ${options.seeds.join(',')}`;
    this.#seeds = options.seeds;
    // Streams (watches, keepalives) live long: no deadline, but the same time
    // for their first answer, and keepalive pings after it (etcd-liveness.ts).
    const watchStream = firstAnswerWithin(CALL_DEADLINE_MS, new WatchFailover(options.log));
    const otherStream = firstAnswerWithin(CALL_DEADLINE_MS);
    this.#memberFailures = new MemberFailures();
    this.#client = new Etcd3({
      hosts: [...options.seeds],
      dialTimeout: CALL_DEADLINE_MS,
      grpcOptions: KEEPALIVE,
      faultHandling: { host: this.#memberFailures.policy },
      defaultCallOptions: (context) =>
        context.isStream
          ? { interceptors: [requireLeader, context.service === 'Watch' ? watchStream : otherStream] }
          : { deadline: Date.now() + CALL_DEADLINE_MS },
    });
    this.#ns = this.#client.namespace(options.namespace ?? '/converge/');
    this.#reachability = new WorldReachability(options.log, options.seeds.join(','), (error) => this.#memberFailures.explain(error));
    this.#leased = new LeasedKeys(this.#ns, options.leaseTtl ?? 5, this.#reachability, this.#closed.signal);
  }

  /** False after a call failed, until one succeeds again. */
  get reachable(): boolean {
    return this.#reachability.reachable;
  }

  /** Whether etcd answered the last call; undefined until a first call ended (watch it to learn when etcd first answers). */
  get answered(): EventValue<boolean | undefined> {
    return this.#reachability.answered;
  }

  get(key: string): Promise<string | undefined> {
    return this.#call('get', async () => (await this.#ns.get(key).string()) ?? undefined);
  }

  async set(key: string, value: string): Promise<void> {
    await this.#call('set', () => this.#ns.put(key).value(value).exec());
  }

  async delete(key: string): Promise<void> {
    await this.#call('delete', () => this.#ns.delete().key(key).exec());
  }

  list(prefix: string): Promise<ReadonlyMap<string, string>> {
    return this.#call('list', async () => new Map(Object.entries(await this.#ns.getAll().prefix(prefix).strings())));
  }

  /**
   * Sets `key` bound to this process's lease: when the host dies (or loses
   * etcd for longer than the lease's TTL) the key disappears. Kept set across
   * lease losses until `deleteLeased`. Never throws: resolves true once etcd
   * holds the value, false when etcd did not answer (it is written once etcd
   * answers again).
   */
  setLeased(key: string, value: string): Promise<boolean> {
    return this.#leased.set(key, value);
  }

  deleteLeased(key: string): Promise<void> {
    return this.#leased.delete(key);
  }

  /**
   * Writes every entry of `puts` in one transaction, only when `guardKey`
   * still holds `expected` (undefined = absent). Returns whether it wrote.
   */
  compareAndSet(guardKey: string, expected: string | undefined, puts: ReadonlyMap<string, string>): Promise<boolean> {
    return this.#call('compare-and-set', async () => {
      const guard =
        expected === undefined ? this.#ns.if(guardKey, 'Create', '==', 0) : this.#ns.if(guardKey, 'Value', '==', expected);
      const result = await guard.then(...[...puts].map(([key, value]) => this.#ns.put(key).value(value))).commit();
      return result.succeeded;
    });
  }

  /**
   * Asks each member directly how it stands (it answers by itself, without
   * a quorum, within `ms`): how many answered and, when those that did have
   * no leader, why no call will answer, in words. For a command to say so
   * rather than wait out its calls.
   */
  async askMembers(ms = 1000): Promise<{ readonly answered: number; readonly noLeader?: string }> {
    const answers = await askMembers(this.#seeds, ms);
    const why = noLeader(answers);
    return { answered: answers.filter((answer) => answer.hasLeader !== undefined).length, ...(why === undefined ? {} : { noLeader: why }) };
  }

  /** The namespaced etcd client, for elections (scheduler). */
  get namespace(): Namespace {
    return this.#ns;
  }

  /**
   * Everything under `prefix` now, then each change. Each time the watch
   * stream comes back after a drop, the prefix is read whole again and what
   * differs from what was told is told: etcd3 resumes a stream from the
   * last revision it saw, which misses changes when etcd was rebuilt empty
   * (its revisions start again from 1: QA, collectors stale until the new
   * revision passed the old one) and when the stream drops again before the
   * missed events arrived.
   */
  async *watch(prefix: string, signal: AbortSignal): AsyncIterable<readonly WorldChange[]> {
    const stop = AbortSignal.any([signal, this.#closed.signal]);
    // What the caller was told: the next read whole is compared with it.
    const told = new Map<string, string>();
    for (let first = true; !stop.aborted; first = false) {
      const read = await retryUntilReachable(() => this.#ns.getAll().prefix(prefix).exec(), this.#reachability, stop);
      if (!read) return;
      const now = new Map(read.kvs.map((kv) => [kv.key.toString(), kv.value.toString()] as const));
      const changes = first ? [...now].map(([key, value]) => ({ key, value })) : differences(told, now);
      told.clear();
      for (const [key, value] of now) told.set(key, value);
      if (first || changes.length > 0) yield changes;
      const ended = yield* this.#changesAfter(prefix, Number(read.header.revision), told, stop);
      if (ended === 'stopped') return;
    }
  }

  /**
   * The changes under `prefix` after `revision`, coalesced per key so a slow
   * consumer gets each key's newest value rather than a backlog, recorded in
   * `told` as they are yielded. Ends with 'reconnected' when the stream came
   * back after a drop (the caller reads the prefix again).
   */
  async *#changesAfter(prefix: string, revision: number, told: Map<string, string>, stop: AbortSignal): AsyncGenerator<readonly WorldChange[], 'stopped' | 'reconnected'> {
    const pending = new Map<string, string | undefined>();
    const arrived = new EventValue(0);
    const wakeup = arrived.watch();
    let failure: Error | undefined;
    let dropped = false;
    let reconnected = false;
    const watcher: Watcher = this.#ns
      .watch()
      .prefix(prefix)
      .startRevision(String(revision + 1))
      .watcher();
    const record = (key: string, value: string | undefined): void => {
      pending.set(key, value);
      arrived.set(arrived.get() + 1);
    };
    watcher.on('put', (kv) => record(kv.key.toString(), kv.value.toString()));
    watcher.on('delete', (kv) => record(kv.key.toString(), undefined));
    // One member's stream dropping (that member died) is not the world lost:
    // with a quorum of the others left, the client carries on through them.
    watcher.on('disconnected', (error) => {
      dropped = true;
      void this.#failUnlessQuorum(prefix, error);
    });
    // A watch stream connects to any live member, with or without a quorum:
    // etcd counts as back only once a read that needs the quorum answers.
    watcher.on('connected', () => {
      void this.#probeQuorum(prefix);
      if (!dropped) return;
      reconnected = true;
      arrived.set(arrived.get() + 1);
    });
    watcher.on('error', (error) => {
      failure = error;
      arrived.set(arrived.get() + 1);
    });
    try {
      while (!stop.aborted) {
        if (failure) throw new WorldUnreachableError(`watch ${prefix}`, failure);
        if (reconnected) return 'reconnected';
        if (pending.size === 0) {
          try {
            await wakeup.next(stop);
          } catch {
            return 'stopped';
          }
          continue;
        }
        const batch = [...pending].map(([key, value]) => ({ key, value }));
        pending.clear();
        for (const { key, value } of batch) {
          if (value === undefined) told.delete(key);
          else told.set(key, value);
        }
        yield batch;
      }
      return 'stopped';
    } finally {
      wakeup.close();
      await cancelWithin(watcher, 1000);
    }
  }

  /** Stops every watch and lease and closes the connections. */
  async close(): Promise<void> {
    this.#closed.abort();
    await this.#leased.close();
    this.#client.close();
  }

  /** A linearizable read (it needs a quorum): reachable if it answers. Failing, it is said by the next call. */
  async #probeQuorum(prefix: string): Promise<void> {
    const begun = this.#reachability.begin();
    try {
      await this.#ns.get(prefix).exec();
      this.#reachability.succeeded(begun);
    } catch {
      // Still unreachable: nothing new to say.
    }
  }

  /** After a watch stream dropped: unreachable only when a read that needs the quorum fails too (QA: one dead member of three was told as the world lost). */
  async #failUnlessQuorum(prefix: string, dropped: unknown): Promise<void> {
    try {
      await this.#ns.get(prefix).exec();
    } catch {
      this.#reachability.failed(dropped);
    }
  }

  async #call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const begun = this.#reachability.begin();
    try {
      const result = await run();
      this.#reachability.succeeded(begun);
      return result;
    } catch (error) {
      this.#reachability.failed(error);
      throw new WorldUnreachableError(operation, this.#memberFailures.explain(error));
    }
  }
}

/** Cancelling needs etcd; when it is gone, the closed client drops the watch anyway. */
async function cancelWithin(watcher: Watcher, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    watcher.cancel().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/** What changed from `before` to `after`: a value for each key set anew or otherwise, undefined for each key gone. */
function differences(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): WorldChange[] {
  const changes: WorldChange[] = [];
  for (const [key, value] of after) if (before.get(key) !== value) changes.push({ key, value });
  for (const key of before.keys()) if (!after.has(key)) changes.push({ key, value: undefined });
  return changes;
}
