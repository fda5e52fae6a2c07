import { posix } from 'node:path';
import { isAncestor } from './paths.js';

/** A path to watch and how much below it matters. */
export interface WatchTarget {
  readonly path: string;
  readonly below: 'nothing' | 'children' | 'everything';
}

/** Every proper ancestor of an absolute path without trailing slash, nearest first. */
export function* ancestorsOf(path: string): Generator<string> {
  let current = path;
  while (current !== '/') {
    current = posix.dirname(current);
    yield current;
  }
}

/** Paths sorted parents first: a folder's watch is live before its children's (so no change between them is missed). */
export function byDepth(paths: string[]): string[] {
  const depth = (path: string): number => (path === '/' ? 0 : path.split('/').length - 1);
  return paths.sort((a, b) => depth(a) - depth(b));
}

function addTo<M>(map: Map<string, Map<M, number>>, key: string, member: M): void {
  const counts = map.get(key) ?? new Map<M, number>();
  counts.set(member, (counts.get(member) ?? 0) + 1);
  map.set(key, counts);
}

function removeFrom<M>(map: Map<string, Map<M, number>>, key: string, member: M): void {
  const counts = map.get(key);
  const count = counts?.get(member);
  if (!counts || count === undefined) return;
  if (count > 1) counts.set(member, count - 1);
  else counts.delete(member);
  if (counts.size === 0) map.delete(key);
}

function addCount(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function removeCount(map: Map<string, number>, key: string): void {
  const count = map.get(key);
  if (count === undefined) return;
  if (count > 1) map.set(key, count - 1);
  else map.delete(key);
}

/**
 * Which members care about which paths, for many watches sharing one watch
 * per folder (see WatchBatch). A path matters to a member when it is one of its
 * targets or an ancestor of one (so a missing directory appearing, or a
 * parent being replaced, is seen), a direct entry of a `children` target, or
 * anything below an `everything` target. Lookups of a target cost the depth
 * of the path, not the number of members: with thousands of file resources,
 * this is asked for every event and every folder a walk meets. Ancestors
 * are only counted; the rare event on an ancestor finds its members through
 * the targets' folders, so adding a member costs one entry per target, not
 * one per level of its path.
 */
export class WatchIndex<M> {
  readonly #exact = new Map<string, Map<M, number>>();
  /** Targets by their folder: what an event on an ancestor reaches. */
  readonly #byFolder = new Map<string, Map<M, number>>();
  readonly #children = new Map<string, Map<M, number>>();
  readonly #everything = new Map<string, Map<M, number>>();
  /** Ancestors of some target, with how many folders holding targets lie below (or are them). */
  readonly #ancestors = new Map<string, number>();
  /** How many targets each folder holds: its ancestor chain is counted once, on its first. */
  readonly #targetsIn = new Map<string, number>();
  /**
   * Proper ancestors of the folders that must be seen into (a target's
   * folder, a `children` or `everything` target): these are watched, so
   * that those folders are seen to appear, go and be replaced.
   */
  readonly #aboveFolders = new Map<string, number>();

  add(member: M, targets: readonly WatchTarget[]): void {
    for (const target of targets) {
      addTo(this.#exact, target.path, member);
      if (target.below === 'children') addTo(this.#children, target.path, member);
      if (target.below === 'everything') addTo(this.#everything, target.path, member);
      if (target.path === '/') continue;
      const folder = posix.dirname(target.path);
      addTo(this.#byFolder, folder, member);
      // A folder a target must be seen into is itself watched from above.
      if (target.below !== 'nothing') addCount(this.#aboveFolders, folder);
      const held = this.#targetsIn.get(folder) ?? 0;
      this.#targetsIn.set(folder, held + 1);
      // Thousands of files share a handful of folders: their chains are counted once per folder, not once per file.
      if (held > 0) continue;
      addCount(this.#ancestors, folder);
      for (const ancestor of ancestorsOf(folder)) {
        addCount(this.#ancestors, ancestor);
        addCount(this.#aboveFolders, ancestor);
      }
    }
  }

  remove(member: M, targets: readonly WatchTarget[]): void {
    for (const target of targets) {
      removeFrom(this.#exact, target.path, member);
      if (target.below === 'children') removeFrom(this.#children, target.path, member);
      if (target.below === 'everything') removeFrom(this.#everything, target.path, member);
      if (target.path === '/') continue;
      const folder = posix.dirname(target.path);
      removeFrom(this.#byFolder, folder, member);
      if (target.below !== 'nothing') removeCount(this.#aboveFolders, folder);
      const held = this.#targetsIn.get(folder) ?? 0;
      if (held > 1) {
        this.#targetsIn.set(folder, held - 1);
        continue;
      }
      this.#targetsIn.delete(folder);
      removeCount(this.#ancestors, folder);
      for (const ancestor of ancestorsOf(folder)) {
        removeCount(this.#ancestors, ancestor);
        removeCount(this.#aboveFolders, ancestor);
      }
    }
  }

  /**
   * Whether `path` needs a watch of its own because something below it
   * matters (inside a subtree: whether the subtree's walk watches it). A target that
   * is only a leaf (no target below it, nothing below it to watch) is seen
   * through its folder's watch: inotify reports a child's creation,
   * removal, writes and attribute changes to the folder, and those raw
   * events are dispatched by name. One watch per folder instead of one per
   * file is most of what watching thousands of files costs. A folder that
   * holds only leaves is seen into the same way (see `isBareWatched`).
   */
  needsOwnWatch(path: string): boolean {
    if (!this.isRelevant(path)) return false;
    if (this.#aboveFolders.has(path) || this.#children.has(path) || this.#everything.has(path)) return true;
    if (this.#everything.size > 0) for (const ancestor of ancestorsOf(path)) if (this.#everything.has(ancestor)) return true;
    // An entry of a `children` target (a file or a folder) is seen through that folder's watch.
    return false;
  }

  /**
   * Whether a folder only has to be seen into: a folder that holds only
   * leaf targets, or a folder on the way to targets (an ancestor) outside
   * any subtree. Such a folder gets a bare fs.watch whose events are picked
   * by name. (chokidar, used before, scanned a folder it watched, one
   * lstat per entry, at start and again after every event in it: for
   * folders of thousands of managed files more than everything else a check
   * costs, and for a busy /tmp above a managed file most of a core.) Its own
   * appearance, removal or replacement is seen by the watch of its parent.
   */
  isBareWatched(folder: string): boolean {
    if (this.#byFolder.has(folder) && !this.needsOwnWatch(folder)) return true;
    return this.#aboveFolders.has(folder) && !this.isInSubtree(folder);
  }

  /** Every folder isBareWatched, parents before their children. */
  bareFolders(): string[] {
    const folders = new Set<string>();
    for (const folder of this.#byFolder.keys()) if (this.isBareWatched(folder)) folders.add(folder);
    for (const folder of this.#aboveFolders.keys()) if (this.isBareWatched(folder)) folders.add(folder);
    return byDepth([...folders]);
  }

  /**
   * The `children` and `everything` targets no other such target holds:
   * the roots of the subtrees walked and watched as a whole (see
   * SubtreeWatch). Whatever below them matters lies on a chain of folders
   * that need their own watch, so a walk from a root reaches it.
   */
  subtreeRoots(): string[] {
    const roots = new Set<string>();
    for (const path of [...this.#children.keys(), ...this.#everything.keys()]) if (this.isSubtreeRoot(path)) roots.add(path);
    return byDepth([...roots]);
  }

  isSubtreeRoot(path: string): boolean {
    if (!this.#children.has(path) && !this.#everything.has(path)) return false;
    for (const ancestor of ancestorsOf(path)) if (this.#children.has(ancestor) || this.#everything.has(ancestor)) return false;
    return true;
  }

  /** Whether `path` is a subtree's root or lies below one. */
  isInSubtree(path: string): boolean {
    if (this.#children.size === 0 && this.#everything.size === 0) return false;
    if (this.#children.has(path) || this.#everything.has(path)) return true;
    for (const ancestor of ancestorsOf(path)) if (this.#children.has(ancestor) || this.#everything.has(ancestor)) return true;
    return false;
  }

  /**
   * Whether some watch is on `path` or below it (a folder of targets, a
   * folder on their way, a subtree's root): what happens to `path` itself
   * (made, removed, replaced) leaves those watches on what was there.
   */
  hasWatchesAtOrBelow(path: string): boolean {
    return this.#ancestors.has(path) || this.#children.has(path) || this.#everything.has(path);
  }

  /** Every folder that holds a target directly. */
  targetFolders(): string[] {
    return [...this.#byFolder.keys()];
  }

  /** Whether some target still lies directly in `folder`. */
  holdsTargets(folder: string): boolean {
    return this.#byFolder.has(folder);
  }

  isRelevant(path: string): boolean {
    if (this.#exact.has(path) || this.#ancestors.has(path)) return true;
    if (path !== '/' && this.#children.has(posix.dirname(path))) return true;
    if (this.#everything.size === 0) return false;
    for (const ancestor of ancestorsOf(path)) if (this.#everything.has(ancestor)) return true;
    return false;
  }

  /** The members an event at `path` matters to. */
  membersFor(path: string): Set<M> {
    const members = new Set<M>(this.#exact.get(path)?.keys());
    if (path !== '/') for (const member of this.#children.get(posix.dirname(path))?.keys() ?? []) members.add(member);
    if (this.#everything.size > 0) {
      for (const ancestor of ancestorsOf(path)) {
        for (const member of this.#everything.get(ancestor)?.keys() ?? []) members.add(member);
      }
    }
    if (this.#ancestors.has(path)) {
      for (const [folder, folderMembers] of this.#byFolder) {
        if (folder === path || isAncestor(path, folder)) for (const member of folderMembers.keys()) members.add(member);
      }
    }
    return members;
  }
}
