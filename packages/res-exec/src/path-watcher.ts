import { existsSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname, relative, sep } from 'node:path';

/** Quiet time that ends a burst of events about the path (see onChange). */
const QUIET_MS = 25;
/** A burst is told at the latest this long after its first event, however busy the path. */
const MAX_GATHER_MS = 250;

/**
 * Watches one absolute path for being created, written, replaced, changed in
 * its attributes or removed, whether or not it exists yet. It watches the
 * directory holding the path (a file replaced by rename keeps being seen), or,
 * while that directory is missing, its nearest existing ancestor, moving down
 * as the missing directories appear. Each folder above that one is watched
 * for its entry on the way (by name, nothing else is looked at): a watch
 * follows the folder it was set on, so a parent renamed away (`mv dir
 * dir.old`) would leave it watching the old place.
 */
export class PathWatcher {
  private watcher: FSWatcher | undefined;
  /** The folders above watchedDir, each for the one entry that leads down to it. */
  private ancestorWatchers: FSWatcher[] = [];
  private watchedDir = '';
  private closed = false;

  /** When the burst of events being gathered began, and the timer that tells it. */
  private burstStarted = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly path: string,
    private readonly change: () => void,
    private readonly onError: (error: Error) => void,
  ) {
    this.arm();
  }

  /**
   * One change of a file comes as a burst of events, and not always in one
   * read: a `touch` of a new file is its creation, then its times, from
   * separate system calls, and the first wakes this process before the next
   * is made. Each event would start cmd again. So a change is told once the
   * path has been quiet for QUIET_MS (and at the latest MAX_GATHER_MS after
   * its first event): milliseconds, against a command run per event.
   */
  private onChange(): void {
    const now = performance.now();
    if (this.timer === undefined) this.burstStarted = now;
    clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(QUIET_MS, this.burstStarted + MAX_GATHER_MS - now));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.closed) this.change();
    }, wait);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
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
      this.onChange();
    });
  }

  /** Watches `folder` for its entry `name` (renamed, removed, replaced): the path may now lead elsewhere. */
  private watchEntry(folder: string, name: string): FSWatcher {
    const watcher = watch(folder, { persistent: false }, (_type, filename) => {
      if (this.closed || (filename !== null && filename.toString() !== name)) return;
      this.arm();
      this.onChange();
    });
    watcher.on('error', () => {
      if (this.closed) return;
      this.arm();
      this.onChange();
    });
    return watcher;
  }

  private handle(filename: string | Buffer | null): void {
    if (this.closed) return;
    const name = filename === null ? null : filename.toString();
    if (!existsSync(this.watchedDir)) {
      // Our directory was removed (the path with it): watch higher up until it is back.
      this.arm();
      this.onChange();
      return;
    }
    if (this.watchedDir === dirname(this.path)) {
      if (name === null || name === basename(this.path)) this.onChange();
      return;
    }
    // Watching an ancestor: only the next directory on the way down matters.
    const next = relative(this.watchedDir, this.path).split(sep)[0];
    if (name === null || name === next) {
      this.arm();
      if (existsSync(this.path)) this.onChange();
    }
  }
}
