import pLimit from 'p-limit';

/**
 * How many replacements of files (temp file, fsync, rename, fsync of the
 * folder) run at once in this process. Each holds two descriptors from its
 * start to its end, the folder's and the temp file's, and a first run of a
 * large graph starts every write at once: at 10,000 new files that was
 * about 20,000 descriptors, the whole limit of some machines (EMFILE, and
 * the resource failed). The writes go through libuv's few threads anyway:
 * more at once than this keeps them no busier.
 */
export const WRITES_AT_ONCE = 128;

const writeSlot = pLimit(WRITES_AT_ONCE);

/** Runs `write` once fewer than WRITES_AT_ONCE others are under way. */
export function inWriteSlot<T>(write: () => Promise<T>): Promise<T> {
  return writeSlot(write);
}

/** Writes under way and waiting for a slot (for tests). */
export function writesInFlight(): { readonly active: number; readonly waiting: number } {
  return { active: writeSlot.activeCount, waiting: writeSlot.pendingCount };
}
