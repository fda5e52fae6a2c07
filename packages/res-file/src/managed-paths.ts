import { fsPath, isAncestor } from './paths.js';

/**
 * The file resources alive in this process, so that one resource can ask what
 * the graph manages (the engine API has no graph query): purge keeps what
 * others manage, and the symlink guard accepts links that a resource declares
 * with `symlink: true`. Params are read at each question because send/recv
 * may change them.
 */
interface ManagedFile {
  readonly path: string;
  readonly symlink?: boolean | undefined;
}

const live = new Map<object, () => ManagedFile>();

export function registerManaged(owner: object, read: () => ManagedFile): void {
  live.set(owner, read);
}

export function unregisterManaged(owner: object): void {
  live.delete(owner);
}

/** True when a live resource manages a symlink exactly at `path`. */
export function isDeclaredSymlink(path: string): boolean {
  const wanted = fsPath(path);
  for (const read of live.values()) {
    const file = read();
    if (file.symlink && fsPath(file.path) === wanted) return true;
  }
  return false;
}

/** True when `entry` is managed by a live resource other than `self`, or holds one. */
export function holdsManagedPath(entry: string, self: object): boolean {
  const wanted = fsPath(entry);
  for (const [owner, read] of live) {
    if (owner === self) continue;
    const managed = fsPath(read().path);
    if (managed === wanted || isAncestor(wanted, managed)) return true;
  }
  return false;
}
