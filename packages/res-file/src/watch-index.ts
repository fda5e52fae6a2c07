import { posix } from 'node:path';

/** A path to watch and how much below it matters. */
export interface WatchTarget {
  readonly path: string;
  readonly below: 'nothing' | 'children' | 'everything';
}

/** Every proper ancestor of an absolute path without trailing slash, nearest first. */
function* ancestorsOf(path: string): Generator<string> {
  let current = path;
  while (current !== '/') {
    current = posix.dirname(current);
    yield current;
  }
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

/**
 * Which members care about which paths, for many watchers sharing one
 * chokidar instance. A path matters to a member when it is one of its
 * targets or an ancestor of one (so a missing directory appearing, or a
 * parent being replaced, is seen), a direct entry of a `children` target, or
 * anything below an `everything` target. Lookups cost the depth of the path,
 * not the number of members: with thousands of file resources, chokidar asks
 * this for every entry it scans and every event.
 */
export class WatchIndex<M> {
  /** Targets and their ancestors; a member counted once per target that puts it there. */
  readonly #exact = new Map<string, Map<M, number>>();
  readonly #children = new Map<string, Map<M, number>>();
  readonly #everything = new Map<string, Map<M, number>>();
  /** Ancestors of some target: chokidar must watch these folders. */
  readonly #ancestors = new Map<string, Map<M, number>>();

  add(member: M, targets: readonly WatchTarget[]): void {
    for (const target of targets) {
      addTo(this.#exact, target.path, member);
      for (const ancestor of ancestorsOf(target.path)) {
        addTo(this.#exact, ancestor, member);
        addTo(this.#ancestors, ancestor, member);
      }
      if (target.below === 'children') addTo(this.#children, target.path, member);
      if (target.below === 'everything') addTo(this.#everything, target.path, member);
    }
  }

  remove(member: M, targets: readonly WatchTarget[]): void {
    for (const target of targets) {
      removeFrom(this.#exact, target.path, member);
      for (const ancestor of ancestorsOf(target.path)) {
        removeFrom(this.#exact, ancestor, member);
        removeFrom(this.#ancestors, ancestor, member);
      }
      if (target.below === 'children') removeFrom(this.#children, target.path, member);
      if (target.below === 'everything') removeFrom(this.#everything, target.path, member);
    }
  }

  /**
   * Whether chokidar needs a watch of its own on `path`. A target that is
   * only a leaf (no target below it, nothing below it to watch) is seen
   * through its folder's watch: inotify reports a child's creation,
   * removal, writes and attribute changes to the folder, and those raw
   * events are dispatched by name. One watch per folder instead of one per
   * file is most of what watching thousands of files costs.
   */
  needsOwnWatch(path: string): boolean {
    if (!this.isRelevant(path)) return false;
    if (this.#ancestors.has(path) || this.#children.has(path) || this.#everything.has(path)) return true;
    if (this.#everything.size > 0) for (const ancestor of ancestorsOf(path)) if (this.#everything.has(ancestor)) return true;
    if (path !== '/' && this.#children.has(posix.dirname(path))) return true;
    return false;
  }

  isRelevant(path: string): boolean {
    if (this.#exact.has(path)) return true;
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
    return members;
  }
}
