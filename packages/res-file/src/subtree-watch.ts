import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import { readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { pathEventOf, rawEventPaths } from './folder-watch.js';
import type { PathEvent } from './folder-watch.js';

/**
 * chokidar can miss an entry created in the instant between its scan of a
 * new directory and its watch on it (`mkdir -p a/b` right after `a` appears):
 * the entry is then never watched. So a little after each new directory a
 * second look adds what it missed.
 */
const RESCAN_DELAY_MS = 20;

/** Which paths below the root matter, asked for every entry chokidar meets. */
export interface SubtreeInterest {
  /** The path needs a watch of its own (a folder to see into). */
  needsOwnWatch(path: string): boolean;
  /** Something at the path matters to some watch. */
  isRelevant(path: string): boolean;
}

/** What a subtree watch reports. */
export interface SubtreeEvents {
  /** Something happened at `path` (only once the first scan is done). */
  onPath(path: string, event: PathEvent): void;
  /** The first scan is done: from now on every change below the root is seen. */
  onReady(): void;
  onError(error: unknown): void;
}

/**
 * One chokidar watcher of a folder whose entries (`purge`) or whole tree
 * (`recurse`, a source directory) matter: chokidar walks into the folders
 * below, watches each, and sees new ones. Only started on a root that
 * exists; its appearing, going or being replaced is seen by the bare watch
 * of its parent, and answered with a new SubtreeWatch.
 */
export class SubtreeWatch {
  readonly #watcher: FSWatcher;
  readonly #rescans = new Set<NodeJS.Timeout>();
  #ready = false;
  #closed: Promise<void> | undefined;
  readonly #settleReady: () => void;
  /** Settles when the first scan is done, or the watch is closed first. */
  readonly ready: Promise<void>;

  constructor(
    readonly root: string,
    readonly interest: SubtreeInterest,
    events: SubtreeEvents,
  ) {
    let settle: () => void = () => undefined;
    this.ready = new Promise<void>((resolve) => (settle = resolve));
    this.#settleReady = settle;
    const watcher = watch(root, {
      // Leaf targets are left to their folder's bare watch (see
      // WatchIndex.needsOwnWatch): their events arrive as raw events of the
      // folder, dispatched below.
      ignored: (path: string) => !interest.needsOwnWatch(path),
      // Initial events are dropped until ready (below); after ready they report
      // what a late `add` of a missed path finds, which must not be lost.
      ignoreInitial: false,
      followSymlinks: false,
      // chokidar's atomic mode holds back an unlink for 100 ms to see if the file comes back: too slow for drift repair.
      atomic: false,
      persistent: true,
    });
    this.#watcher = watcher;
    watcher.once('ready', () => {
      if (this.#closed) return;
      this.#ready = true;
      settle();
      events.onReady();
    });
    // Events before ready only describe the first scan; the ready event covers them.
    watcher.on('all', (event, path) => {
      if (!this.#ready || this.#closed) return;
      events.onPath(path, event === 'change' ? 'changed' : 'moved');
      if (event === 'addDir') this.#rescanSoon(path, events);
    });
    // chokidar drops a second unlink of a path within 100 ms, and a second
    // change within 50 ms, for good: a file deleted again right after its
    // repair would stay deleted. The raw fs.watch events are never dropped.
    watcher.on('raw', (event: string, name: string | null, details: unknown) => {
      const watchedPath = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
      if (!this.#ready || this.#closed || typeof watchedPath !== 'string') return;
      for (const path of rawEventPaths(watchedPath, name)) events.onPath(path, pathEventOf(event));
    });
    watcher.on('error', (error: unknown) => {
      if (!this.#closed) events.onError(error);
    });
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#settleReady();
      for (const timer of this.#rescans) clearTimeout(timer);
      this.#rescans.clear();
      await this.#watcher.close();
    })();
    return this.#closed;
  }

  #rescanSoon(dir: string, events: SubtreeEvents): void {
    const timer = setTimeout(() => {
      this.#rescans.delete(timer);
      void this.#addMissedEntries(dir).then((missed) => {
        for (const path of missed) {
          events.onPath(path, 'moved');
          // A folder added late has the same blind instant: look into it again too.
          if (this.interest.needsOwnWatch(path)) this.#rescanSoon(path, events);
        }
      });
    }, RESCAN_DELAY_MS);
    this.#rescans.add(timer);
  }

  /** Adds the relevant entries of `dir` that chokidar does not watch; returns them. */
  async #addMissedEntries(dir: string): Promise<string[]> {
    if (this.#closed) return [];
    const watched = new Set(this.#watcher.getWatched()[dir] ?? []);
    // A file (or a vanished directory) has no entries to miss.
    const names = await readdir(dir).catch(() => [] as string[]);
    if (this.#closed) return [];
    const missed = names
      .filter((name) => !watched.has(name))
      .map((name) => posix.join(dir, name))
      .filter((path) => this.interest.isRelevant(path));
    // Leaf files are seen through this folder's watch, which may have come
    // up after they appeared: they are told (returned), not watched.
    const ownWatches = missed.filter((path) => this.interest.needsOwnWatch(path));
    if (ownWatches.length > 0) this.#watcher.add(ownWatches);
    return missed;
  }
}
