import type { Logger } from './logger.js';
import type { World } from './world.js';

/** What the receiver knows about one received param. */
export interface ReceivedValue {
  /** True when the value differs from the one used in the previous checkApply. */
  readonly changed: boolean;
}

/**
 * What the engine gives a resource in `init`. `P` is the resource's params,
 * `S` the values it may send.
 */
export interface ResourceContext<P extends object = object, S extends object = object> {
  /** The resource's kind, e.g. `file`. */
  readonly kind: string;
  /** The resource's name within its kind. */
  readonly name: string;
  /** `kind[name]`, the resource's identity in the graph and in logs. */
  readonly id: string;
  /** This host's name. */
  readonly hostname: string;
  /** A logger whose lines carry `kind[name]`. */
  readonly log: Logger;
  /** The shared world (local store, or etcd with several hosts). */
  readonly world: World;
  /**
   * Tells the engine that the real state may have changed. `watch` calls it
   * once when its watches are live, then on every possible change. Cheap and
   * safe to call often: events coalesce.
   */
  event(): void;
  /**
   * Says what `watch` waits for before it can call `event()` the first
   * time (`etcd at http://10.0.0.1:2379 to answer`, `the device to appear`),
   * in words for the user: a resource is not checked until its watch is
   * live, and one that waits long is told with this. `undefined`: nothing
   * any more. Since engine API 1.17; absent on older engines.
   */
  waitingFor?(what: string | undefined): void;
  /**
   * True when the engine polls this resource (`meta: {poll: N}`) instead of
   * calling `watch`: a checkApply then comes every N seconds, and that tick
   * is the event (a kind that keeps its own state, like exec, acts on it).
   * Since engine API 1.1; absent on older engines.
   */
  readonly polled?: boolean;
  /**
   * The params that edges of the graph fill through send/recv: their values
   * arrive before a checkApply, not before `watch` starts. A kind whose
   * watch depends on such a param (a command run as a received user) waits
   * for its first checkApply. Since engine API 1.2; absent on older engines.
   */
  readonly receives?: ReadonlySet<string>;
  /**
   * True when an upstream `notify` edge has asked this resource to refresh
   * (e.g. restart a service). Cleared by the engine after a checkApply that
   * succeeds with apply=true. In a dry run (apply=false) also true when a
   * parent that notifies it would change (engine API 1.9): answer as the
   * real run would.
   */
  refresh(): boolean;
  /**
   * In a dry run (apply=false), true when `id`, a resource this one
   * depends on directly (an edge from it), would change: what this one
   * reads of it (a file another resource writes, taken in as a source or
   * fragment) is not what the real run will read, so it would change too.
   * False in a real run. Since engine API 1.10; absent on older engines.
   */
  wouldChangeBefore?(id: string): boolean;
  /**
   * Given to a reversal only (its resource has left the graph, and what it
   * found there is being put back): the params of this kind's resources in
   * the graph being run, which may not have started yet (reversals come
   * first). What the reversal removes leaves what they manage alone: a
   * folder it made that one of them now keeps stays. Since engine API 1.11;
   * absent on older engines and for the resources of the graph.
   */
  readonly graphPeers?: readonly Readonly<P>[];
  /**
   * Publishes values on this resource's send keys, to be received by params of
   * resources downstream. Call it from checkApply; values are delivered after
   * checkApply returns. Each key must be one the kind's `sends` declares, its
   * value one that fits that key's schema: otherwise nothing of the send is
   * delivered and the check fails, told as a bug of the plugin.
   */
  send(values: Partial<S>): void;
  /**
   * Declares a value this resource holds as a secret (a password it loaded
   * from its own store at init), before any send carries it: the engine
   * masks it in every log line, error and noop diff from then on, whatever
   * resource shows it. Values sent under a `secret: true` send key are
   * masked without this. Since engine API 1.4; absent on older engines.
   */
  secret?(value: string): void;
  /** The params that were filled by send/recv for this checkApply. */
  recv(): ReadonlyMap<keyof P & string, ReceivedValue>;
  /**
   * A directory private to this resource in the engine's state dir, created
   * on first use (mode 0700). `sub` names a folder inside it.
   */
  varDir(sub?: string): Promise<string>;
}
