import { watch } from 'node:fs';
import type { Dirent, FSWatcher } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { ChangeBurst } from './change-burst.js';
import { LinkedPathWatcher } from './linked-path-watcher.js';

/**
 * Watches a folder and everything below it: an entry made, written, changed
 * in its attributes, removed or renamed anywhere in the tree is an event.
 * inotify sees only the entries of the folder it is set on, so each folder
 * of the tree has its own watch, found by walking it. A folder made or moved
 * in below is watched (and walked) when its parent reports it, then told once
 * more: what was made in it before its watch was not seen, and the command
 * that runs after this sees it. A folder is watched before it is read, so an
 * entry made meanwhile is either read or reported. Symlinks below the root
 * are not followed (one pointing up would be walked for ever); the root
 * itself may be one.
 *
 * The root's own entry (missing at the start, made, removed, replaced,
 * renamed away, and each folder on the way to it) is a LinkedPathWatcher's,
 * and so, when the root is a symlink, is the entry of the folder it leads
 * to (`mv real real.old; mkdir real` leaves the link as it was, and the
 * watches on the moved folder): at each of its events the tree is walked
 * again from the root. Always, not
 * only when the folder's inode changed: a folder removed and made again may
 * get the inode back, and the watches of the removed one see nothing more.
 * Its events join the others in one ChangeBurst: a removed tree is one event.
 */
export class TreeWatcher {
  /** Settles once the tree that is there at the start is watched. */
  readonly ready: Promise<void>;
  /** Events of one change are told as one. */
  private readonly burst: ChangeBurst;
  private readonly rootEntry: LinkedPathWatcher;
  /** The watch of each folder of the tree, by path. */
  private readonly folders = new Map<string, FSWatcher>();
  private closed = false;

  constructor(
    private readonly root: string,
    change: () => void,
    private readonly onError: (error: Error) => void,
  ) {
    this.burst = new ChangeBurst(change);
    // The root's entry first: a folder made there during the walk is walked again.
    this.rootEntry = new LinkedPathWatcher(root, () => void this.rewalk(root), onError);
    this.ready = this.isFolder(root).then((found) => (found ? this.walk(root) : undefined));
  }

  close(): void {
    this.closed = true;
    this.burst.close();
    this.rootEntry.close();
    for (const watcher of this.folders.values()) watcher.close();
    this.folders.clear();
  }

  private onFolderEvent(folder: string, type: string, name: string | Buffer | null): void {
    if (this.closed) return;
    // 'rename' is what inotify's create, delete and move become, and also any event
    // about a folder entry (its attributes too): each may be a folder made, gone or replaced.
    if (type === 'rename' && name !== null) void this.rewalk(join(folder, name.toString()));
    this.burst.poke();
  }

  /** Something was made, removed or moved at `path`: what was watched there goes, a folder there now is walked, and that is told. */
  private async rewalk(path: string): Promise<void> {
    this.unwatchFrom(path);
    if ((await this.isFolder(path)) && !this.closed) await this.walk(path);
    this.burst.poke();
  }

  /** Watches `folder`, then reads it and walks each folder in it. */
  private async walk(folder: string): Promise<void> {
    if (!this.watchFolder(folder)) return;
    let entries: Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      // Gone (or no longer a folder) meanwhile: the watch of its parent tells.
      return;
    }
    // A Dirent of a symlink is no directory: links are not followed.
    const below = entries.filter((entry) => entry.isDirectory()).map((entry) => join(folder, entry.name));
    await Promise.all(below.map((path) => this.walk(path)));
  }

  /** A watch of `folder` in place of any before it; false when there is none (closed, gone, or failed: then onError is told). */
  private watchFolder(folder: string): boolean {
    if (this.closed) return false;
    let watcher: FSWatcher;
    try {
      watcher = watch(folder, { persistent: false }, (type, name) => this.onFolderEvent(folder, type, name));
    } catch (error) {
      if (!isGone(error)) this.onError(error as Error);
      return false;
    }
    watcher.on('error', () => {
      if (this.folders.get(folder) === watcher) void this.rewalk(folder);
    });
    // Closed after the new one is set: both share the folder's one inotify watch, so no event falls between.
    this.folders.get(folder)?.close();
    this.folders.set(folder, watcher);
    return true;
  }

  /** Closes the watches of `path` and of every folder below it. */
  private unwatchFrom(path: string): void {
    // A folder is watched only below a watched one: when `path` is not (a file, most often), nothing below is.
    if (!this.folders.has(path)) return;
    const below = path.endsWith(sep) ? path : path + sep;
    for (const [folder, watcher] of this.folders) {
      if (folder !== path && !folder.startsWith(below)) continue;
      watcher.close();
      this.folders.delete(folder);
    }
  }

  /** Whether a folder is at `path` now; the root is followed if it is a symlink, entries below are not. */
  private async isFolder(path: string): Promise<boolean> {
    const found = await (path === this.root ? stat(path) : lstat(path)).catch(() => undefined);
    return found?.isDirectory() ?? false;
  }
}

/** A path that is missing, or runs through a file, cannot be watched: nothing is there to see yet. */
function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
