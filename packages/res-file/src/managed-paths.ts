import { posix } from 'node:path';
import { fsPath, isAncestor } from './paths.js';
import { tempKeyOf } from './temp-names.js';

/**
 * The file resources alive in this process, so that one resource can ask what
 * the graph manages (the engine API has no graph query): a directory copy or
 * purge leaves what others manage, and the symlink guard accepts links that
 * a resource declares with `symlink: true`. Params are read at each question
 * because send/recv may change them.
 */
export interface ManagedFile {
  readonly path: string;
  readonly symlink?: boolean | undefined;
  /** For a symlink: where it points. */
  readonly source?: string | undefined;
  readonly state?: string | undefined;
  readonly purge?: boolean | undefined;
  /** With `source`: a folder copied into it, and kept as the source has it. */
  readonly recurse?: boolean | undefined;
  /** The files (and folders of files) it is joined from. */
  readonly fragments?: readonly string[] | undefined;
}

/** A live file resource as the others see it: the instance itself, so registering allocates nothing. */
export interface ManagedOwner {
  /** Its `kind[name]`, as the engine names it. */
  readonly resourceId: string;
  /** What it manages now (its params, which send/recv may have changed). */
  managedFile(): ManagedFile;
  /** Something below it is no longer managed: a purging directory then has work. */
  released(): void;
}

const live = new Set<ManagedOwner>();
/**
 * The live resources that may purge (`purge` set, or received over an edge):
 * the only ones a leaving resource must look at. Without this every resource
 * leaving scanned every other one, and stopping 10,000 took over a second.
 */
const mayPurge = new Set<ManagedOwner>();

/**
 * The live resources that may purge or copy a folder in (`recurse`), set or
 * received: the only ones takenOverElsewhere looks at, asked at every check
 * of a path through a link.
 */
const mayTakeOver = new Set<ManagedOwner>();

/**
 * `purges`: the resource purges now or may later (its `purge` param is
 * received), so it is asked about leaving paths; `copiesIn`: it may copy a
 * folder into its own (`recurse`, set or received).
 */
export function registerManaged(owner: ManagedOwner, purges: boolean, copiesIn = false): void {
  live.add(owner);
  if (purges) mayPurge.add(owner);
  if (purges || copiesIn) mayTakeOver.add(owner);
}

/**
 * The resource no longer manages its path (it left the graph): a directory
 * with `purge` above it must now remove what it left there, and is told.
 */
export function unregisterManaged(owner: ManagedOwner): void {
  if (!live.delete(owner)) return;
  mayPurge.delete(owner);
  mayTakeOver.delete(owner);
  for (const purger of purgersAbove(owner.managedFile().path, owner)) purger.released();
}

/** The live resources other than `self` that purge a directory holding `path`. */
function* purgersAbove(path: string, self: ManagedOwner): Generator<ManagedOwner> {
  const target = fsPath(path);
  for (const owner of mayPurge) {
    if (owner === self) continue;
    const file = owner.managedFile();
    if (file.purge && isAncestor(fsPath(file.path), target)) yield owner;
  }
}

/** True when a live resource other than `self` manages exactly `path`. */
export function isManagedElsewhere(path: string, self: ManagedOwner): boolean {
  return managerElsewhere(path, self) !== undefined;
}

/** The other live resource that manages `path`, if one does. */
export function managerElsewhere(path: string, self: ManagedOwner): ManagedOwner | undefined {
  const wanted = fsPath(path);
  for (const owner of live) if (owner !== self && fsPath(owner.managedFile().path) === wanted) return owner;
  return undefined;
}

/** The other live resources that manage a file directly in `folder` (the files of a fragments folder). */
export function managersInFolder(folder: string, self: ManagedOwner): ManagedOwner[] {
  const wanted = fsPath(folder);
  const found: ManagedOwner[] = [];
  for (const owner of live) {
    const path = owner.managedFile().path;
    if (owner !== self && !path.endsWith('/') && posix.dirname(fsPath(path)) === wanted) found.push(owner);
  }
  return found;
}

/** How long the index of managed paths by last part is kept (see managedPathsNamed). */
const NAMED_INDEX_MS = 1_000;
let namedIndex: { readonly builtAt: number; readonly size: number; readonly byName: Map<string, string[]> } | undefined;

/**
 * The paths of the live resources whose last part is `name` (what may be
 * one file through links), with the time of the index they come from. The
 * index is rebuilt when resources come or go, or after NAMED_INDEX_MS (a
 * path received over an edge may change): asked at each check of a path
 * through a link, a scan of every resource made 2,000 such checks take 25 s
 * (QA).
 */
export function managedPathsNamed(name: string): { readonly paths: readonly string[]; readonly builtAt: number } {
  const now = performance.now();
  if (namedIndex === undefined || namedIndex.size !== live.size || now - namedIndex.builtAt > NAMED_INDEX_MS) {
    const byName = new Map<string, string[]>();
    for (const owner of live) {
      const path = fsPath(owner.managedFile().path);
      const last = posix.basename(path);
      const paths = byName.get(last);
      if (paths) paths.push(path);
      else byName.set(last, [path]);
    }
    namedIndex = { builtAt: now, size: live.size, byName };
  }
  return { paths: namedIndex.byName.get(name) ?? [], builtAt: namedIndex.builtAt };
}

/** How a resource makes what is below its directory its own, if it does. */
export type TakeOver = 'purges' | 'copies into';

/** Whether `file` purges its folder of what it does not know, or copies a source folder into it (`recurse`). */
export function takeOverOf(file: ManagedFile): TakeOver | undefined {
  if (file.purge) return 'purges';
  if (file.recurse && file.source !== undefined && !file.symlink) return 'copies into';
  return undefined;
}

/** What the live resources other than `self` that may purge or copy a folder in manage now. */
export function* takingOverExcept(self: ManagedOwner): Generator<ManagedFile> {
  for (const owner of mayTakeOver) if (owner !== self) yield owner.managedFile();
}

/** What every live resource other than `self` manages now. */
export function* managedExcept(self: ManagedOwner): Generator<ManagedFile> {
  for (const owner of live) if (owner !== self) yield owner.managedFile();
}

/** Where a live resource that manages a symlink exactly at `path` wants it to point (its `source`), if one does. */
export function declaredSymlinkTarget(path: string): string | undefined {
  const wanted = fsPath(path);
  for (const owner of live) {
    const file = owner.managedFile();
    if (file.symlink && file.source !== undefined && fsPath(file.path) === wanted) return file.source;
  }
  return undefined;
}

/** The nearest ancestor directory of `path` that a live resource keeps absent (`state: absent`), if any. */
export function absentAncestor(path: string): string | undefined {
  let nearest: string | undefined;
  const target = fsPath(path);
  for (const owner of live) {
    const file = owner.managedFile();
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
export function managedBelow(root: string, self: ManagedOwner): (entry: string) => ManagedRelation | undefined {
  const top = fsPath(root);
  const managed = new Set<string>();
  const holders = new Set<string>();
  for (const owner of live) {
    if (owner === self) continue;
    const path = fsPath(owner.managedFile().path);
    if (!isAncestor(top, path)) continue;
    managed.add(path);
    // A long name's temp files carry a hash of it (see tempKeyOf): that key stands for the entry too, so a purge leaves a write under way.
    const name = posix.basename(path);
    const key = tempKeyOf(name);
    if (key !== name) managed.add(posix.join(posix.dirname(path), key));
    // Once a folder is known to hold something, so are all of its ancestors up to the root.
    for (let dir = posix.dirname(path); dir !== top && !holders.has(dir); dir = posix.dirname(dir)) holders.add(dir);
  }
  return (entry) => {
    const path = fsPath(entry);
    if (managed.has(path)) return 'managed';
    return holders.has(path) ? 'holds' : undefined;
  };
}
