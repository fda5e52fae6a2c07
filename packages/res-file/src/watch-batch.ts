import { posix } from 'node:path';
import { isAncestor } from './paths.js';
import { errorPath, isReplaced, watchOneFolder } from './folder-watch.js';
import type { FolderWatch, PathEvent } from './folder-watch.js';
import { watchWhereLinkLeads } from './link-watch.js';
import type { LinkWatch } from './link-watch.js';
import { learnFsType } from './local-fs.js';
import { SubtreeWatch } from './subtree-watch.js';
import { WatchIndex, ancestorsOf, byDepth } from './watch-index.js';
import type { WatchTarget } from './watch-index.js';

/** One watch sharing a batch: told of every relevant event, or of the watcher's failure. */
export interface BatchMember {
  onEvent(): void;
  /** The shared watcher failed; `closed` settles once it is closed. */
  fail(error: unknown, closed: Promise<void>): void;
}

/**
 * The watches of many file resources, shared: each folder is watched once,
 * however many targets it holds, and each event goes to the members it
 * matters to.
 *
 * - A folder that is only seen into (one that holds managed files, or lies
 *   on the way to them) has a bare fs.watch; its events are picked by name.
 *   Watched parents first, so a folder made, removed or replaced is always
 *   reported by the watch above it, which then watches it again.
 * - A folder whose entries or whole tree matter (`purge`, `recurse`, a
 *   source directory) is a subtree: it is walked, each folder in it that
 *   matters gets a bare watch too, and a folder that appears in it is
 *   walked in turn (see SubtreeWatch).
 *
 * Members join before `start()`; they leave one by one, and the last one to
 * leave closes every watch.
 */
export class WatchBatch {
  readonly #index = new WatchIndex<BatchMember>();
  readonly #members = new Map<BatchMember, readonly WatchTarget[]>();
  /** The bare-watched folders (see WatchIndex.isBareWatched); undefined while missing. */
  readonly #folders = new Map<string, FolderWatch | undefined>();
  /** For watched folders and subtree roots that are symlinks: the watches of where they lead (see watchWhereLinkLeads). */
  readonly #links = new Map<string, LinkWatch>();
  /** The subtrees by root; undefined while the root is missing. */
  readonly #subtrees = new Map<string, SubtreeWatch | undefined>();
  /**
   * Until the first walks of the subtrees are done, the folders inside them
   * that hold targets, each with a bare watch of its own (see #tellEarly);
   * undefined while missing.
   */
  readonly #early = new Map<string, FolderWatch | undefined>();
  /** Members told their first event: before ready, events reach only these. */
  readonly #told = new Set<BatchMember>();
  #started = false;
  #ready = false;
  #closed: Promise<void> | undefined;

  /** Closed batches (every member left, or a watch failed for all) take no new members. */
  get isClosed(): boolean {
    return this.#closed !== undefined;
  }

  join(member: BatchMember, targets: readonly WatchTarget[]): void {
    this.#members.set(member, targets);
    this.#index.add(member, targets);
  }

  /** Removes `member`; resolves at once, or when the watches are closed if it was the last. */
  async leave(member: BatchMember): Promise<void> {
    const targets = this.#members.get(member);
    if (targets === undefined) return;
    this.#forget(member, targets);
    if (this.#members.size === 0) await this.#close();
  }

  /**
   * Watches every folder that is only seen into, parents first, and starts
   * the subtrees; the members whose targets the folders cover are told
   * once the folders' file systems are known, the others once the subtrees
   * were first walked. (Adding an inotify watch to a folder walks the
   * kernel's cache of its entries: for a /tmp that has seen much churn that
   * is 12 ms here, paid once, before the first checks.)
   */
  start(): void {
    if (this.#members.size === 0 || this.#closed) return;
    this.#started = true;
    for (const folder of this.#index.bareFolders()) this.#watchFolder(folder);
    if (this.#closed) return;
    for (const root of this.#index.subtreeRoots()) this.#watchSubtree(root);
    if (this.#closed) return;
    const fsTypesLearned = this.#tellEarly();
    const firstScans = [...this.#subtrees.values()].map((subtree) => subtree?.ready);
    void Promise.all([fsTypesLearned, ...firstScans]).then(() => this.#becomeReady());
  }

  /**
   * Every watch is live: each member not told yet is told its first event.
   * A folder inside a subtree that was made, removed or replaced while the
   * subtree was first walked, which no watch saw then, is told as an event.
   */
  #becomeReady(): void {
    if (this.#ready || this.#closed) return;
    this.#ready = true;
    const replaced: string[] = [];
    for (const [folder, watched] of this.#early) {
      watched?.watcher.close();
      if (isReplaced(folder, watched)) replaced.push(folder);
    }
    this.#early.clear();
    for (const member of [...this.#members.keys()]) {
      if (this.#told.has(member)) continue;
      this.#told.add(member);
      member.onEvent();
    }
    for (const folder of replaced) this.#dispatch(folder, 'moved');
  }

  /**
   * Something happened at `path`: the members are told; when something may
   * have been made, removed or moved there, what is watched there or below
   * is watched again as it is now first.
   */
  #dispatch(path: string, event: PathEvent): void {
    if (event === 'moved' && this.#index.hasWatchesAtOrBelow(path)) this.#rewatchFrom(path);
    this.#tell(path);
  }

  #tell(path: string): void {
    for (const member of this.#index.membersFor(path)) {
      // Before ready, only those told early are live; the others are told at ready.
      if (this.#ready || this.#told.has(member)) member.onEvent();
    }
  }

  /**
   * `path` was made, removed or replaced (or may have been): every watch on
   * it or below it may be on what was there before, so each is made again,
   * parents first (always: a folder made again may have the inode number of
   * the one removed). Rare (an event that names the folder itself, not one
   * of its entries), and there are a handful of such watches.
   */
  #rewatchFrom(path: string): void {
    const below = (watched: string): boolean => watched === path || isAncestor(path, watched);
    const folders = [...this.#folders.keys()].filter(below);
    const roots = [...this.#subtrees.keys()].filter(below);
    for (const watched of byDepth([...folders, ...roots])) {
      if (this.#closed) return;
      if (this.#folders.has(watched)) this.#watchFolder(watched);
      if (this.#subtrees.has(watched)) this.#watchSubtree(watched);
    }
  }

  /** (Re)watches a bare-watched folder as it is now; a missing one waits for its parent to report it. */
  #watchFolder(folder: string): void {
    const before = this.#folders.get(folder);
    // The new watch first: on the same folder it shares the old one's inotify watch, so no event falls between the two.
    const watched = this.#bareWatch(folder, this.#folders);
    before?.watcher.close();
    // A watch that failed has failed the members it concerns: maybe the last that needed this folder.
    if (!this.#index.isBareWatched(folder)) {
      watched?.watcher.close();
      this.#dropFolder(folder);
      return;
    }
    this.#folders.set(folder, watched);
    this.#watchLinks(folder);
  }

  /** (Re)watches where `path` leads when it is a symlink (see watchWhereLinkLeads): a change there is as if `path` was replaced. */
  #watchLinks(path: string): void {
    this.#links.get(path)?.close();
    const link = watchWhereLinkLeads(path, () => this.#dispatch(path, 'moved'));
    if (link) this.#links.set(path, link);
    else this.#links.delete(path);
  }

  #dropLinks(path: string): void {
    this.#links.get(path)?.close();
    this.#links.delete(path);
  }

  /** Stops watching a bare-watched folder (and where it leads, if it is a link). */
  #dropFolder(folder: string): void {
    this.#folders.get(folder)?.watcher.close();
    this.#folders.delete(folder);
    this.#dropLinks(folder);
  }

  /** (Re)starts the subtree at `root` as it is now; a missing root waits for its parent to report it. */
  #watchSubtree(root: string): void {
    const before = this.#subtrees.get(root);
    // Only whether there was one is kept: closures made here share one scope, and the new subtree's would keep the old one alive, and it the one before.
    const restarted = before !== undefined;
    this.#subtrees.set(root, undefined);
    before?.close();
    if (!this.#index.isSubtreeRoot(root)) {
      this.#subtrees.delete(root);
      this.#dropLinks(root);
      return;
    }
    const subtree: SubtreeWatch = new SubtreeWatch(root, this.#index, {
      // The root itself made, removed or replaced is for the watch of its parent to say: this one is on what was there.
      onPath: (path, event) => this.#dispatch(path, path === root ? 'changed' : event),
      onError: (error, path) => this.#fail(error, path),
    });
    // A subtree started again (its root made or replaced) tells its members once everything below is watched.
    void subtree.ready.then(() => {
      if (this.#subtrees.get(root) === subtree && (restarted || this.#ready)) this.#tell(root);
    });
    this.#subtrees.set(root, subtree);
    this.#watchLinks(root);
  }

  /**
   * A bare fs.watch of `folder` that dispatches its events, kept in `table`
   * (cleared there when the folder goes away under it); undefined when the
   * folder is missing.
   */
  #bareWatch(folder: string, table: Map<string, FolderWatch | undefined>): FolderWatch | undefined {
    return watchOneFolder(folder, {
      onPath: (path, event) => this.#dispatch(path, event),
      // The folder went away under the watch: its parent's watch reports that.
      onGone: (gone) => {
        if (table.get(folder) === gone) table.set(folder, undefined);
      },
      onError: (error) => this.#fail(error, folder),
    });
  }

  /**
   * Tells at once, without waiting for the first walk of the
   * subtrees (tens of milliseconds, more for a big tree), each member whose
   * targets are plain entries of folders that exist and are watched: bare
   * watches see every change to them from now on. A folder of targets
   * inside a subtree gets a bare watch of its own until the walk is done;
   * only the folder itself being removed or replaced escapes that, and at
   * ready a folder that is no longer the one watched here is told as an
   * event. Folders' file systems are learned first, so these first checks
   * take the synchronous path. Settles once they were told.
   */
  #tellEarly(): Promise<void> {
    const folders = this.#index.targetFolders();
    return Promise.all(folders.map((folder) => learnFsType(folder))).then(() => {
      if (this.#ready || this.#closed) return;
      for (const folder of folders) if (!this.#folders.has(folder)) this.#early.set(folder, this.#bareWatch(folder, this.#early));
      for (const [member, targets] of this.#members) {
        const covered = targets.every((target) => {
          if (target.below !== 'nothing' || target.path === '/') return false;
          const folder = posix.dirname(target.path);
          return (this.#folders.get(folder) ?? this.#early.get(folder)) !== undefined;
        });
        if (!covered || this.#told.has(member)) continue;
        this.#told.add(member);
        member.onEvent();
      }
    });
  }

  /** Takes `member` out of the index, and closes the watches only it needed (or starts those it kept others from needing). */
  #forget(member: BatchMember, targets: readonly WatchTarget[]): void {
    this.#members.delete(member);
    this.#told.delete(member);
    this.#index.remove(member, targets);
    if (!this.#started || this.#closed || this.#members.size === 0) return;
    for (const target of targets) {
      if (target.path === '/') continue;
      const folder = posix.dirname(target.path);
      // A file whose folder holds others leaves every watch as it was (most leaves, as a graph stops).
      if (target.below === 'nothing' && this.#index.holdsTargets(folder)) continue;
      // Parents first, so that a folder watched anew is reported by its parent's watch.
      for (const path of [...ancestorsOf(folder)].reverse().concat(folder)) {
        const wanted = this.#index.isBareWatched(path);
        if (wanted && !this.#folders.has(path)) this.#watchFolder(path);
        else if (!wanted && this.#folders.has(path)) this.#dropFolder(path);
      }
    }
    if (targets.some((target) => target.below !== 'nothing')) this.#resetSubtrees();
  }

  /**
   * Subtrees no member needs any more are closed, and what they walked for
   * the others goes to bare watches (told, since a change may have come in
   * between); a subtree that another one held before starts.
   */
  #resetSubtrees(): void {
    for (const [root, subtree] of [...this.#subtrees]) {
      if (this.#index.isSubtreeRoot(root)) continue;
      subtree?.close();
      this.#subtrees.delete(root);
      this.#dropLinks(root);
    }
    for (const folder of [...this.#folders.keys()]) if (!this.#index.isBareWatched(folder)) this.#dropFolder(folder);
    for (const folder of this.#index.bareFolders()) {
      if (this.#folders.has(folder)) continue;
      this.#watchFolder(folder);
      this.#tell(folder);
    }
    for (const root of this.#index.subtreeRoots()) if (!this.#subtrees.has(root)) this.#watchSubtree(root);
  }

  /**
   * Fails the members a watch error concerns. An error about one path (a
   * name too long, a folder that may not be read) fails only the members
   * that path matters to: the others' watches are fine, and failing them
   * would let one bad resource break watching for the whole graph. An error
   * that names no path, or a path no member cares about, may have broken
   * the watches themselves: then every member fails and they close.
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
      for (const folder of [...this.#folders.keys()]) this.#dropFolder(folder);
      for (const folderWatch of this.#early.values()) folderWatch?.watcher.close();
      this.#early.clear();
      for (const subtree of this.#subtrees.values()) subtree?.close();
      this.#subtrees.clear();
      for (const link of this.#links.values()) link.close();
      this.#links.clear();
    })();
    return this.#closed;
  }
}
