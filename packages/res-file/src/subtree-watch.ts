import { readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { isAncestor } from './paths.js';
import { watchOneFolder } from './folder-watch.js';
import { lstatEntry } from './fs-state.js';
import type { FolderWatch, PathEvent } from './folder-watch.js';

/** Which folders below the root must be seen into, asked for every folder met. */
export interface SubtreeInterest {
  needsOwnWatch(path: string): boolean;
}

/** What a subtree watch reports. */
export interface SubtreeEvents {
  /** Something happened at `path`, an entry of a watched folder (or the folder itself). */
  onPath(path: string, event: PathEvent): void;
  onError(error: unknown, path: string): void;
}

/**
 * The watch of a folder whose entries matter (`purge`, a fragments
 * directory) or whose whole tree does (`recurse`, a source directory): one
 * bare fs.watch on the root and on each folder below it that must be seen
 * into, found by walking it. A folder made, moved in or replaced below is
 * watched (and walked) when its parent reports it, then told again once
 * everything in it is watched: what changed in it before was not seen, and
 * a check that runs after this sees it. A folder is watched before it is
 * read, so an entry made meanwhile is either read or reported. Symlinks are
 * not followed. The root's own appearing, going or being replaced is seen
 * by the watch of its parent, which starts a new SubtreeWatch.
 *
 * (chokidar is not used here: it shares one fs.watch per path among all
 * its watchers in a process, and a watcher closed while it scans can leave
 * its watch of a folder behind; the next watcher of that path joins it and
 * sees nothing when the folder there was replaced.)
 */
export class SubtreeWatch {
  readonly #folders = new Map<string, FolderWatch>();
  #closed = false;
  /** Settles once the first walk is done (or the watch is closed first). */
  readonly ready: Promise<void>;

  constructor(
    readonly root: string,
    private readonly interest: SubtreeInterest,
    private readonly events: SubtreeEvents,
  ) {
    this.ready = this.#walk(root);
  }

  close(): void {
    this.#closed = true;
    for (const folder of this.#folders.values()) folder.watcher.close();
    this.#folders.clear();
  }

  /** Watches `folder`, then reads it and walks each folder in it that must be seen into. */
  async #walk(folder: string): Promise<void> {
    if (this.#closed || !this.#watch(folder)) return;
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      // Gone or no longer a folder: the watch of its parent tells.
      return;
    }
    const below = entries
      .filter((entry) => entry.isDirectory())
      .map((entry) => posix.join(folder, entry.name))
      .filter((path) => this.interest.needsOwnWatch(path));
    await Promise.all(below.map((path) => this.#walk(path)));
  }

  /** A bare watch of `folder` in place of any before it; false when there is none (missing, or failed). */
  #watch(folder: string): boolean {
    const before = this.#folders.get(folder);
    // The new watch first: on the same folder it shares the old one's inotify watch, so no event falls between the two.
    const watched = watchOneFolder(folder, {
      onPath: (path, event) => this.#onPath(path, event),
      onGone: (gone) => {
        if (this.#folders.get(folder) === gone) this.#folders.delete(folder);
      },
      onError: (error) => this.events.onError(error, folder),
    });
    before?.watcher.close();
    if (watched === undefined || this.#closed) {
      watched?.watcher.close();
      this.#folders.delete(folder);
      return false;
    }
    this.#folders.set(folder, watched);
    return true;
  }

  #onPath(path: string, event: PathEvent): void {
    if (this.#closed) return;
    if (event === 'moved' && path !== this.root && this.interest.needsOwnWatch(path)) void this.#rewalk(path);
    this.events.onPath(path, event);
  }

  /** `path` was made, removed or replaced: what was watched there or below goes, what is there now is walked, then told. */
  async #rewalk(path: string): Promise<void> {
    // A folder below is watched only once the one above it is: nothing is, when `path` is not (a file, most often).
    if (this.#folders.has(path)) {
      for (const [folder, watched] of [...this.#folders]) {
        if (folder !== path && !isAncestor(path, folder)) continue;
        watched.watcher.close();
        this.#folders.delete(folder);
      }
    }
    // Missing, or no longer reachable (a folder on its way replaced by a file): nothing to walk.
    const found = await lstatEntry(path).catch(() => undefined);
    if (this.#closed || found?.kind !== 'dir') return;
    await this.#walk(path);
    if (!this.#closed) this.events.onPath(path, 'moved');
  }
}
