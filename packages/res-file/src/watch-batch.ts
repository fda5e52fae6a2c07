import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import { realpathSync, statSync, watch as watchFolder } from 'node:fs';
import type { FSWatcher as FolderWatcher } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { isMissingPath } from './errors.js';
import { learnFsType } from './local-fs.js';
import { posix } from 'node:path';
import { WatchIndex } from './watch-index.js';
import type { WatchTarget } from './watch-index.js';

/** Which folder a path named when its watch began: the inode, and where the path really led. */
interface FolderIdentity {
  readonly ino: number;
  readonly real: string;
}

/** A folder's own watch, and the folder it is on. */
interface FolderWatch extends FolderIdentity {
  readonly watcher: FolderWatcher;
}

/** The identity of the folder at `path` now; undefined when there is none. */
function identityOf(path: string): FolderIdentity | undefined {
  try {
    return { ino: statSync(path).ino, real: realpathSync.native(path) };
  } catch {
    return undefined;
  }
}

/** Whether `watched` (undefined: nothing was there) is no longer the folder at `path`. */
function isReplaced(path: string, watched: FolderIdentity | undefined): boolean {
  const now = identityOf(path);
  return now?.ino !== watched?.ino || now?.real !== watched?.real;
}

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

/** The path a file-system error names (Node sets it for fs.watch and the calls chokidar makes), if any. */
function errorPath(error: unknown): string | undefined {
  const path = (error as NodeJS.ErrnoException | undefined)?.path;
  return typeof path === 'string' ? path : undefined;
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
  /** Leaf folders watched without chokidar (see WatchIndex.leafFolders); undefined while missing. */
  readonly #folders = new Map<string, FolderWatch | undefined>();
  /**
   * Until chokidar is ready, the other folders that hold targets, each with
   * a bare watch of its own (see #tellEarly); undefined while missing.
   */
  readonly #early = new Map<string, FolderWatch | undefined>();
  /** Members told their first event: before ready, events reach only these. */
  readonly #told = new Set<BatchMember>();
  #watcher: FSWatcher | undefined;
  /** Leaf folders are being watched (start has begun). */
  #started = false;
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
    this.#forget(member, targets);
    if (this.#members.size === 0) await this.#close();
  }

  /** Takes `member` out of the index, and closes the folder watches only it needed. */
  #forget(member: BatchMember, targets: readonly WatchTarget[]): void {
    this.#members.delete(member);
    this.#told.delete(member);
    this.#index.remove(member, targets);
    for (const target of targets) {
      const folder = posix.dirname(target.path);
      if (this.#folders.has(folder) && !this.#index.holdsTargets(folder)) {
        this.#folders.get(folder)?.watcher.close();
        this.#folders.delete(folder);
      }
    }
  }

  start(): void {
    if (this.#members.size === 0 || this.#closed) return;
    this.#started = true;
    // Before chokidar's scan, so that its ready event (the first check)
    // comes after every folder watch is live.
    for (const folder of this.#index.leafFolders()) {
      this.#folders.set(folder, undefined);
      this.#watchFolder(folder);
    }
    if (this.#closed) return;
    this.#tellEarly();
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
      // A folder made, removed or replaced during the scan, which no watch
      // saw then: watch what is there now (a leaf folder), and tell those
      // already told to look again.
      const replaced: string[] = [];
      for (const [folder, watched] of this.#early) {
        watched?.watcher.close();
        if (isReplaced(folder, watched)) replaced.push(folder);
      }
      this.#early.clear();
      for (const [folder, watched] of this.#folders) if (isReplaced(folder, watched)) replaced.push(folder);
      for (const member of [...this.#members.keys()]) {
        if (this.#told.has(member)) continue;
        this.#told.add(member);
        member.onEvent();
      }
      for (const folder of replaced) this.#dispatch(folder);
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
    // Something happened to a leaf folder itself (made, removed, replaced):
    // watch what is there now, then tell everyone in it to look again.
    if (this.#folders.has(path)) this.#watchFolder(path);
    for (const member of this.#index.membersFor(path)) {
      // Before ready, only those told early are live; the others are told at ready.
      if (this.#ready || this.#told.has(member)) member.onEvent();
    }
  }

  /** (Re)watches a leaf folder as it is now; a missing one waits for its parent to report it. */
  #watchFolder(folder: string): void {
    this.#folders.get(folder)?.watcher.close();
    const watched = this.#bareWatch(folder, this.#folders);
    // A watch that failed has failed the members it concerns: maybe the last that needed this folder.
    if (this.#index.holdsTargets(folder)) this.#folders.set(folder, watched);
    else {
      watched?.watcher.close();
      this.#folders.delete(folder);
    }
  }

  /**
   * A bare fs.watch of `folder` that dispatches its events, kept in `table`
   * (cleared there when the folder goes away under it); undefined when the
   * folder is missing.
   */
  #bareWatch(folder: string, table: Map<string, FolderWatch | undefined>): FolderWatch | undefined {
    let watcher: FolderWatcher | undefined;
    try {
      watcher = watchFolder(folder, { persistent: true }, (_event, name) => {
        for (const path of rawEventPaths(folder, name)) this.#dispatch(path);
      });
      const identity = identityOf(folder);
      if (!identity) {
        // Gone between the watch and the look: as missing as if the watch had failed.
        watcher.close();
        return undefined;
      }
      const live = watcher;
      live.on('error', (error: unknown) => {
        // The folder went away under the watch: its parent's watch reports that.
        if (!isMissingPath(error)) this.#fail(error, folder);
        else if (table.get(folder)?.watcher === live) table.set(folder, undefined);
      });
      return { watcher: live, ...identity };
    } catch (error) {
      watcher?.close();
      if (!isMissingPath(error)) this.#fail(error, folder);
      return undefined;
    }
  }

  /**
   * Tells at once, without waiting for chokidar's scan of the ancestors
   * (tens of milliseconds, more on a busy /tmp), each member whose targets
   * are plain entries of folders that exist: a bare watch of each such
   * folder sees every change to them from now on. Only a folder itself
   * being removed or replaced escapes it, and that is what chokidar's watch
   * of the ancestors is for: at ready, a folder that is no longer the one
   * watched here is told as an event. Folders' file systems are learned
   * first, so these first checks take the synchronous path.
   */
  #tellEarly(): void {
    const folders = this.#index.targetFolders();
    void Promise.all(folders.map((folder) => learnFsType(folder))).then(() => {
      if (this.#ready || this.#closed) return;
      for (const folder of folders) if (!this.#folders.has(folder)) this.#early.set(folder, this.#bareWatch(folder, this.#early));
      for (const [member, targets] of this.#members) {
        const covered = targets.every((target) => {
          if (target.below !== 'nothing' || target.path === '/') return false;
          const folder = posix.dirname(target.path);
          return (this.#folders.get(folder) ?? this.#early.get(folder)) !== undefined;
        });
        if (!covered) continue;
        this.#told.add(member);
        member.onEvent();
      }
    });
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

  /**
   * Fails the members a watch error concerns. An error about one path (a
   * name too long, a folder that may not be read) fails only the members
   * that path matters to: the others' watches are fine, and failing them
   * would let one bad resource break watching for the whole graph. An error
   * that names no path, or a path no member cares about, may have broken
   * the watcher itself: then every member fails and the watcher closes.
   */
  #fail(error: unknown, path = errorPath(error)): void {
    const concerned = path === undefined ? new Set<BatchMember>() : this.#index.membersFor(path);
    if (concerned.size === 0 || concerned.size === this.#members.size) {
      this.#failAll(error);
      return;
    }
    for (const member of concerned) {
      const targets = this.#members.get(member);
      if (targets !== undefined) this.#forget(member, targets);
      member.fail(error, Promise.resolve());
    }
    // A folder that held the failed targets' folders was chokidar's; holding only leaves now, it may be watched by nobody.
    if (this.#started) for (const folder of this.#index.leafFolders()) if (!this.#folders.has(folder)) this.#watchFolder(folder);
  }

  #failAll(error: unknown): void {
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
      for (const folderWatch of [...this.#folders.values(), ...this.#early.values()]) folderWatch?.watcher.close();
      this.#folders.clear();
      this.#early.clear();
      await this.#watcher?.close();
    })();
    return this.#closed;
  }
}
