import { lstatSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { posix } from 'node:path';
import { linkChainOf } from '@converge/system-paths';
import { pathEventOf } from './folder-watch.js';
import { ancestorsOf } from './watch-index.js';

/** The watches of where a symlinked folder leads. */
export interface LinkWatch {
  close(): void;
}

/**
 * For a watched folder that is a symlink (declared, or allowed by `force`):
 * watches the folders that hold each link of its chain and every folder
 * above where it ends, picked by name. The folder's own watch is on what
 * the link led to when it began; it sees nothing when that folder is moved
 * away and another made in its place (`mv real real.old; mkdir real`), nor
 * when a link further along the chain is re-pointed, while the link itself
 * stays as it was. `onMoved` is called then. Undefined when `folder` is no
 * symlink (nothing to add: its parent's watch covers it).
 */
export function watchWhereLinkLeads(folder: string, onMoved: () => void): LinkWatch | undefined {
  try {
    if (!lstatSync(folder).isSymbolicLink()) return undefined;
  } catch {
    return undefined;
  }
  // Each watched folder, with the names in it that the chain goes through.
  const wanted = new Map<string, Set<string>>();
  const through = (path: string): void => {
    let child = path;
    for (const ancestor of ancestorsOf(path)) {
      const names = wanted.get(ancestor) ?? new Set<string>();
      names.add(posix.basename(child));
      wanted.set(ancestor, names);
      child = ancestor;
    }
  };
  // A dangling chain ends at its last hop: where its target will appear.
  for (const hop of linkChainOf(folder)) through(hop);
  const watchers: FSWatcher[] = [];
  for (const [above, names] of wanted) {
    try {
      const watcher = watch(above, { persistent: true }, (event, name) => {
        if (name !== null && names.has(name) && pathEventOf(event) === 'moved') onMoved();
      });
      // Best effort, beside the folder's own watch: a folder of the chain that goes is reported by the one above it.
      watcher.on('error', () => watcher.close());
      watchers.push(watcher);
    } catch {
      // Missing (a dangling chain) or not watchable: the others still tell.
    }
  }
  return {
    close(): void {
      for (const watcher of watchers) watcher.close();
    },
  };
}
