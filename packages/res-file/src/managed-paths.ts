import { posix } from 'node:path';
import { fsPath, isAncestor } from './paths.js';

/**
 * The file resources alive in this process, so that one resource can ask what
 * the graph manages (the engine API has no graph query): a directory copy or
 * purge leaves what others manage, and the symlink guard accepts links that
 * a resource declares with `symlink: true`. Params are read at each question
 * because send/recv may change them.
 */
interface ManagedFile {
  readonly path: string;
  readonly symlink?: boolean | undefined;
  readonly state?: string | undefined;
  readonly purge?: boolean | undefined;
}

const live = new Map<object, () => ManagedFile>();
/**
 * The live resources that may purge (`purge` set, or received over an edge):
 * the only ones a leaving resource must look at. Without this every resource
 * leaving scanned every other one, and stopping 10,000 took over a second.
 */
const mayPurge = new Map<object, () => ManagedFile>();
/** How to tell a live resource that something below it is no longer managed (see unregisterManaged). */
const releaseListeners = new Map<object, () => void>();

export interface ManagedOptions {
  /** Called when a resource below this one leaves (a purging directory then has work). */
  readonly onRelease?: () => void;
  /** The resource purges now or may later (its `purge` param is received): it is asked about leaving paths. */
  readonly mayPurge?: boolean;
}

export function registerManaged(owner: object, read: () => ManagedFile, options: ManagedOptions = {}): void {
  live.set(owner, read);
  if (options.mayPurge) mayPurge.set(owner, read);
  if (options.onRelease) releaseListeners.set(owner, options.onRelease);
}

/**
 * The resource no longer manages its path (it left the graph): a directory
 * with `purge` above it must now remove what it left there, and is told.
 */
export function unregisterManaged(owner: object): void {
  const leaving = live.get(owner)?.();
  live.delete(owner);
  mayPurge.delete(owner);
  releaseListeners.delete(owner);
  if (!leaving) return;
  for (const [purger] of purgersAbove(leaving.path, owner)) releaseListeners.get(purger)?.();
}

/** The live resources other than `self` that purge a directory holding `path`, with their paths. */
function* purgersAbove(path: string, self: object): Generator<[owner: object, path: string]> {
  const target = fsPath(path);
  for (const [owner, read] of mayPurge) {
    if (owner === self) continue;
    const file = read();
    if (file.purge && isAncestor(fsPath(file.path), target)) yield [owner, file.path];
  }
}

/** True when a live resource other than `self` manages exactly `path`. */
export function isManagedElsewhere(path: string, self: object): boolean {
  const wanted = fsPath(path);
  for (const [owner, read] of live) if (owner !== self && fsPath(read().path) === wanted) return true;
  return false;
}

/** The path of a live resource other than `self` that purges a directory holding `path`, if any. */
export function purgedElsewhere(path: string, self: object): string | undefined {
  for (const [, purger] of purgersAbove(path, self)) return purger;
  return undefined;
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

/** The nearest ancestor directory of `path` that a live resource keeps absent (`state: absent`), if any. */
export function absentAncestor(path: string): string | undefined {
  let nearest: string | undefined;
  const target = fsPath(path);
  for (const read of live.values()) {
    const file = read();
    if (file.state !== 'absent') continue;
    const dir = fsPath(file.path);
    if (isAncestor(dir, target) && (nearest === undefined || dir.length > nearest.length)) nearest = dir;
  }
  return nearest;
}

/**
 * How an entry below a managed directory relates to what other resources
 * manage: `managed` when one manages the entry itself, `holds` when one
 * manages something further down.
 */
export type ManagedRelation = 'managed' | 'holds';

/**
 * What the live resources other than `self` manage below `root`, read once
 * (one pass over the live resources) so that a copy or purge of a large tree
 * asks about each entry in constant time. Take it per check: params may
 * change between checks.
 */
export function managedBelow(root: string, self: object): (entry: string) => ManagedRelation | undefined {
  const top = fsPath(root);
  const managed = new Set<string>();
  const holders = new Set<string>();
  for (const [owner, read] of live) {
    if (owner === self) continue;
    const path = fsPath(read().path);
    if (!isAncestor(top, path)) continue;
    managed.add(path);
    // Once a folder is known to hold something, so are all of its ancestors up to the root.
    for (let dir = posix.dirname(path); dir !== top && !holders.has(dir); dir = posix.dirname(dir)) holders.add(dir);
  }
  return (entry) => {
    const path = fsPath(entry);
    if (managed.has(path)) return 'managed';
    return holders.has(path) ? 'holds' : undefined;
  };
}
