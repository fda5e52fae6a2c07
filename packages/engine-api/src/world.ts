/** A change to a key seen by `World.watch`: `value` is undefined when deleted. */
export interface WorldChange {
  readonly key: string;
  readonly value: string | undefined;
}

/**
 * The shared state hosts coordinate through. On a single host it is a local
 * store in the state directory; with `--seeds` it is an etcd cluster. Keys are
 * plain strings; values are strings (encode structured values yourself).
 */
export interface World {
  /** This host's name, as given by `--hostname` or the system. */
  readonly hostname: string;
  /**
   * Where the world is, in words for messages (`etcd at
   * http://10.0.0.1:2379`). Since engine API 1.17; absent on older engines
   * and worlds that never wait (the local one).
   */
  readonly where?: string;
  /** Reads a key. Throws only when the world cannot be reached. */
  get(key: string): Promise<string | undefined>;
  /** Writes a key. Throws only when the world cannot be reached. */
  set(key: string, value: string): Promise<void>;
  /** Deletes a key (no error when absent). */
  delete(key: string): Promise<void>;
  /** Every key below `prefix` with its value. */
  list(prefix: string): Promise<ReadonlyMap<string, string>>;
  /**
   * Follows changes below `prefix` until `signal` aborts. The first batch is
   * everything already there (the load phase); later batches are changes.
   */
  watch(prefix: string, signal: AbortSignal): AsyncIterable<readonly WorldChange[]>;
}
