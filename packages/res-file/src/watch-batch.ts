import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import { readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { WatchIndex } from './watch-index.js';
import type { WatchTarget } from './watch-index.js';

/** One watch sharing a batch: told of every relevant event, or of the watcher's failure. */
export interface BatchMember {
  onEvent(): void;
  /** The shared watcher failed; `closed` settles once it is closed. */
  fail(error: unknown, closed: Promise<void>): void;
}

/**
 * chokidar can miss an entry created in the instant between its scan of a
 * new directory and its watch on it (`mkdir -p a/b` right after `a` appears):
 * the entry is then never watched. So a little after each new directory a
 * second look adds what it missed.
 */
const RESCAN_DELAY_MS = 20;

/**
 * The paths a raw fs.watch event may be about: the entry `name` of a watched
 * directory, or the watched path itself (a watched file reports its own
 * name, which a directory's child can share, so both are told then).
 */
function rawEventPaths(watchedPath: string, name: string | null): string[] {
  if (name === null || name === '') return [watchedPath];
  const child = posix.join(watchedPath, name);
  return posix.basename(watchedPath) === name ? [child, watchedPath] : [child];
}

/**
 * One chokidar watcher for many watches: rooted at `/`, it looks only at the
 * paths some member cares about, and hands each event to those members.
 * Members join before `start()`; they leave one by one, and the last one to
 * leave closes the watcher.
 */
export class WatchBatch {
  readonly #index = new WatchIndex<BatchMember>();
  readonly #members = new Map<BatchMember, readonly WatchTarget[]>();
  readonly #rescans = new Set<NodeJS.Timeout>();
  #watcher: FSWatcher | undefined;
  #ready = false;
  #closed: Promise<void> | undefined;

  /** Closed batches (every member left, or the watcher failed) take no new members. */
  get isClosed(): boolean {
    return this.#closed !== undefined;
  }

  join(member: BatchMember, targets: readonly WatchTarget[]): void {
    this.#members.set(member, targets);
    this.#index.add(member, targets);
  }

  /** Removes `member`; resolves at once, or when the watcher is closed if it was the last. */
  async leave(member: BatchMember): Promise<void> {
    const targets = this.#members.get(member);
    if (targets === undefined) return;
    this.#members.delete(member);
    this.#index.remove(member, targets);
    if (this.#members.size === 0) await this.#close();
  }

  start(): void {
    if (this.#members.size === 0 || this.#closed) return;
    const watcher = watch('/', {
      // Leaf targets are left to their folder's watch (see needsOwnWatch):
      // their events arrive as raw events of the folder, dispatched below.
      ignored: (path: string) => !this.#index.needsOwnWatch(path),
      // Initial events are dropped until ready (below); after ready they report
      // what a late `add` of a missed path finds, which must not be lost.
      ignoreInitial: false,
      followSymlinks: false,
      // chokidar's atomic mode holds back an unlink for 100 ms to see if the file comes back: too slow for drift repair.
      atomic: false,
      persistent: true,
    });
    this.#watcher = watcher;
    watcher.on('ready', () => {
      this.#ready = true;
      for (const member of [...this.#members.keys()]) member.onEvent();
    });
    // Events before ready only describe the initial scan; the ready event covers them.
    watcher.on('all', (event, path) => {
      if (!this.#ready) return;
      this.#dispatch(path);
      if (event === 'addDir') this.#rescanSoon(path);
    });
    // chokidar drops a second unlink of a path within 100 ms, and a second
    // change within 50 ms, for good: a file deleted again right after its
    // repair would stay deleted. The raw fs.watch events are never dropped.
    watcher.on('raw', (_event, name: string | null, details: unknown) => {
      const watchedPath = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
      if (!this.#ready || typeof watchedPath !== 'string') return;
      for (const path of rawEventPaths(watchedPath, name)) this.#dispatch(path);
    });
    watcher.on('error', (error: unknown) => this.#fail(error));
  }

  #dispatch(path: string): void {
    for (const member of this.#index.membersFor(path)) member.onEvent();
  }

  #rescanSoon(dir: string): void {
    const timer = setTimeout(() => {
      this.#rescans.delete(timer);
      void this.#addMissedEntries(dir).then((missed) => {
        for (const path of missed) {
          this.#dispatch(path);
          // A folder added late has the same blind instant: look into it again too.
          if (this.#index.needsOwnWatch(path)) this.#rescanSoon(path);
        }
      });
    }, RESCAN_DELAY_MS);
    this.#rescans.add(timer);
  }

  /** Adds the relevant entries of `dir` that chokidar does not watch; returns them. */
  async #addMissedEntries(dir: string): Promise<string[]> {
    const watcher = this.#watcher;
    if (!watcher || this.#closed) return [];
    const watched = new Set(watcher.getWatched()[dir] ?? []);
    // A file (or a vanished directory) has no entries to miss.
    const names = await readdir(dir).catch(() => [] as string[]);
    if (this.#closed) return [];
    const missed = names
      .filter((name) => !watched.has(name))
      .map((name) => posix.join(dir, name))
      .filter((path) => this.#index.isRelevant(path));
    // Leaf files are seen through this folder's watch, which may have come
    // up after they appeared: they are told (returned), not watched.
    const ownWatches = missed.filter((path) => this.#index.needsOwnWatch(path));
    if (ownWatches.length > 0) watcher.add(ownWatches);
    return missed;
  }

  #fail(error: unknown): void {
    const closed = this.#close();
    const members = [...this.#members.entries()];
    this.#members.clear();
    for (const [member, targets] of members) {
      this.#index.remove(member, targets);
      member.fail(error, closed);
    }
  }

  #close(): Promise<void> {
    this.#closed ??= (async () => {
      for (const timer of this.#rescans) clearTimeout(timer);
      this.#rescans.clear();
      await this.#watcher?.close();
    })();
    return this.#closed;
  }
}
