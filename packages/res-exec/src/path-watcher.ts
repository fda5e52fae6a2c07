import { existsSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname, relative, sep } from 'node:path';

/**
 * Watches one absolute path for being created, written, replaced, changed in
 * its attributes or removed, whether or not it exists yet. It watches the
 * directory holding the path (a file replaced by rename keeps being seen), or,
 * while that directory is missing, its nearest existing ancestor, moving down
 * as the missing directories appear. Each folder above that one is watched
 * for its entry on the way (by name, nothing else is looked at): a watch
 * follows the folder it was set on, so a parent renamed away (`mv dir
 * dir.old`) would leave it watching the old place. Only the path's own
 * entry counts: what happens inside a folder at the path is TreeWatcher's.
 * Every event is told as it comes: one change is often several (see
 * ChangeBurst, which gathers them).
 */
export class PathWatcher {
  private watcher: FSWatcher | undefined;
  /** The folders above watchedDir, each for the one entry that leads down to it. */
  private ancestorWatchers: FSWatcher[] = [];
  private watchedDir = '';
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly event: () => void,
    private readonly onError: (error: Error) => void,
  ) {
    this.arm();
  }

  close(): void {
    this.closed = true;
    this.unwatch();
  }

  private unwatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
    for (const watcher of this.ancestorWatchers) watcher.close();
    this.ancestorWatchers = [];
  }

  private arm(): void {
    this.unwatch();
    let dir = dirname(this.path);
    while (!existsSync(dir) && dir !== dirname(dir)) dir = dirname(dir);
    this.watchedDir = dir;
    try {
      this.watcher = watch(dir, { persistent: false }, (_type, filename) => this.handle(filename));
      for (let below = dir, above = dirname(dir); above !== below; below = above, above = dirname(above)) {
        this.ancestorWatchers.push(this.watchEntry(above, basename(below)));
      }
    } catch (error) {
      this.onError(error as Error);
      return;
    }
    // The directory itself went away (or cannot be read): find a new place to watch.
    this.watcher.on('error', () => {
      if (this.closed) return;
      this.arm();
      this.event();
    });
  }

  /** Watches `folder` for its entry `name` (renamed, removed, replaced): the path may now lead elsewhere. */
  private watchEntry(folder: string, name: string): FSWatcher {
    const watcher = watch(folder, { persistent: false }, (_type, filename) => {
      if (this.closed || (filename !== null && filename.toString() !== name)) return;
      this.arm();
      this.event();
    });
    watcher.on('error', () => {
      if (this.closed) return;
      this.arm();
      this.event();
    });
    return watcher;
  }

  private handle(filename: string | Buffer | null): void {
    if (this.closed) return;
    const name = filename === null ? null : filename.toString();
    if (!existsSync(this.watchedDir)) {
      // Our directory was removed (the path with it): watch higher up until it is back.
      this.arm();
      this.event();
      return;
    }
    if (this.watchedDir === dirname(this.path)) {
      if (name === null || name === basename(this.path)) this.event();
      return;
    }
    // Watching an ancestor: only the next directory on the way down matters.
    const next = relative(this.watchedDir, this.path).split(sep)[0];
    if (name === null || name === next) {
      this.arm();
      if (existsSync(this.path)) this.event();
    }
  }
}
