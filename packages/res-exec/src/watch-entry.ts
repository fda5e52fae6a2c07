import { resolve } from 'node:path';
import { ChangeBurst } from './change-burst.js';
import { LinkedPathWatcher } from './linked-path-watcher.js';
import { TreeWatcher } from './tree-watcher.js';

/** The live watch of one `watchfiles` entry (or of `creates`). */
export interface EntryWatch {
  /** Settles once all that the entry names, as it is now, is watched; absent when that is so from the start. */
  readonly ready?: Promise<void>;
  close(): void;
}

/**
 * Watches a `watchfiles` entry: one that ends in `/` names a folder whose
 * whole tree is watched; any other, the path's own entry (not what happens
 * inside a folder there), and where it leads when it is a symlink.
 */
export function watchEntry(entry: string, change: () => void, onError: (error: Error) => void): EntryWatch {
  if (entry.endsWith('/')) return new TreeWatcher(resolve(entry), change, onError);
  const burst = new ChangeBurst(change);
  const watcher = new LinkedPathWatcher(entry, () => burst.poke(), onError);
  return {
    close: () => {
      burst.close();
      watcher.close();
    },
  };
}
