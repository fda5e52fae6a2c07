import { closeSync, constants, openSync, readlinkSync } from 'node:fs';
import { open, readlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { declaredSymlinkTarget } from './managed-paths.js';
import { findUndeclaredParentSymlink, realpathOf } from './symlink-guard.js';

const OPEN_FOLDER = constants.O_RDONLY | constants.O_DIRECTORY;

/**
 * A folder opened, and the kernel's name for what was opened: with no
 * symlink on its path (and nothing swapped in), that is the folder's own
 * path. On Linux, `/proc/self/fd/N` leads to the opened folder itself.
 */
function descriptorPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** Thrown when a folder's path leads elsewhere than the folder: a write there would go where a symlink points. */
export class FolderMovedError extends Error {
  readonly code = 'ECONVERGEFOLDERMOVED';
  constructor(folder: string, leadsTo: string) {
    super(`${folder} leads to ${leadsTo} now (a symlink on its path, swapped in behind converge's back); refusing to write through it`);
  }
}

/**
 * Thrown when the folder opened was removed before its path was looked at:
 * its descriptor's path then reads `… (deleted)`, which was told as a
 * symlink swapped in (QA: a folder deleted by hand during a copy looked like
 * an attack). Missing, as a folder removed a moment earlier would be.
 */
export class FolderRemovedError extends Error {
  readonly code = 'ENOENT';
  constructor(folder: string) {
    super(`${folder} was removed while converge was writing in it`);
  }
}

/** The descriptor's path says `(deleted)` and the folder has no link left: removed, not moved. */
export async function wasRemoved(handle: FileHandle, leadsTo: string): Promise<boolean> {
  return leadsTo.endsWith(' (deleted)') && (await handle.stat()).nlink === 0;
}

/**
 * A folder opened through symlinks is the one meant when every link on its
 * path is declared (`symlink: true`) and points as declared (the symlink
 * guard's rule), and the path leads now where the opened folder is. Looked
 * at after the folder was opened: if a link no resource declares was on the
 * way then, the folder opened is elsewhere than where the declared links
 * lead, so the two differ (unless that place is where the graph's own
 * links lead anyway).
 */
async function leadsWhereDeclared(folder: string, leadsTo: string): Promise<boolean> {
  const real = await realpathOf(folder);
  if (real !== leadsTo) return false;
  return (await findUndeclaredParentSymlink(posix.join(folder, 'entry'), declaredSymlinkTarget)) === undefined;
}

/**
 * Any link above `root`, none at or below it: the folders there must be
 * where `real` (the root as it was opened when the check began, links above
 * it followed) and their names under it lead. For what a directory
 * resource with `force: true` changes inside itself: it follows the links
 * on its way, but a link swapped in for the directory (or a folder in it)
 * while it is checked must not take the copy and the purge elsewhere.
 */
export interface WithinOpened {
  readonly root: string;
  readonly real: string;
}

/**
 * What a change may go through on its way: `declared` symlinks only (the
 * symlink guard's rule), `any` (a resource with `force: true`, which
 * follows links wherever they point), or any above a directory opened
 * before (WithinOpened).
 */
export type LinkRule = 'declared' | 'any' | WithinOpened;

/** Where `folder` must lead under a WithinOpened rule; undefined above its root (anything goes there). */
function placeWithin(folder: string, rule: WithinOpened): string | undefined {
  if (folder === rule.root) return rule.real;
  if (folder.startsWith(`${rule.root}/`)) return `${rule.real}${folder.slice(rule.root.length)}`;
  return undefined;
}

/** Throws when `folder`, opened, is not where a WithinOpened rule says it must be. */
function checkWithin(folder: string, leadsTo: string, rule: WithinOpened): void {
  const place = placeWithin(folder, rule);
  if (place !== undefined && leadsTo !== place) throw new FolderMovedError(folder, leadsTo);
}

/**
 * Opens the directory `path` without following a symlink at its own name
 * (links above it are followed) and returns the rule that keeps changes
 * inside it there; `any` without /proc. A symlink found at `path` (swapped
 * in since it was looked at) is refused.
 */
export async function openedWithin(path: string): Promise<LinkRule> {
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FOLDER | constants.O_NOFOLLOW);
  } catch (error) {
    // A symlink at `path` itself: ELOOP, or ENOTDIR (O_DIRECTORY is looked at first).
    const leadsTo = await readlink(path).catch(() => undefined);
    if (leadsTo === undefined) throw error;
    throw new FolderMovedError(path, leadsTo);
  }
  try {
    const real = await readlink(descriptorPath(handle.fd)).catch(() => undefined);
    if (real !== undefined && (await wasRemoved(handle, real))) throw new FolderRemovedError(path);
    return real === undefined ? 'any' : { root: path, real };
  } finally {
    await handle.close();
  }
}

/**
 * Runs `work` with a path to `path` that goes through its folder as it is
 * now, opened once: every call made with it (open, rename, mkdir, unlink,
 * rm, chmod) lands in that folder, whatever happens to the folder's path
 * meanwhile (a parent renamed away and a symlink put in its place). The
 * folder is refused when it was reached through a symlink already (one that
 * no file resource declares, with `links` 'declared'). This is what openat
 * with a folder's descriptor does, which Node does not offer.
 * Without /proc, `work` gets `path` itself (only the checks made before it
 * guard it then). The folder's handle comes along, to fsync it.
 */
export async function inPinnedFolder<T>(path: string, links: LinkRule, work: (pinned: string, folder: FileHandle) => Promise<T>): Promise<T> {
  const folder = posix.dirname(path);
  const handle = await open(folder, OPEN_FOLDER);
  try {
    if (links === 'any') return await work(path, handle);
    const leadsTo = await readlink(descriptorPath(handle.fd)).catch(() => undefined);
    if (leadsTo === undefined) return await work(path, handle);
    if (await wasRemoved(handle, leadsTo)) throw new FolderRemovedError(folder);
    if (typeof links === 'object') checkWithin(folder, leadsTo, links);
    else if (leadsTo !== folder && !(await leadsWhereDeclared(folder, leadsTo))) throw new FolderMovedError(folder, leadsTo);
    return await work(`${descriptorPath(handle.fd)}/${posix.basename(path)}`, handle);
  } finally {
    await handle.close();
  }
}

/** Thrown by inPinnedFolderSync for a folder reached through a symlink: use inPinnedFolder. */
export class NeedsLinkCheck extends Error {}

/** inPinnedFolder with synchronous calls (for work that is itself synchronous), for a folder reached without symlinks. */
export function inPinnedFolderSync<T>(path: string, links: LinkRule, work: (pinned: string) => T): T {
  if (links === 'any') return work(path);
  const folder = posix.dirname(path);
  const fd = openSync(folder, OPEN_FOLDER);
  try {
    let leadsTo: string | undefined;
    try {
      leadsTo = readlinkSync(descriptorPath(fd));
    } catch {
      leadsTo = undefined;
    }
    if (leadsTo === undefined) return work(path);
    if (typeof links === 'object') checkWithin(folder, leadsTo, links);
    // Reached through a symlink: whether it is a declared one takes async calls (inPinnedFolder).
    else if (leadsTo !== folder) throw new NeedsLinkCheck();
    return work(`${descriptorPath(fd)}/${posix.basename(path)}`);
  } finally {
    closeSync(fd);
  }
}
