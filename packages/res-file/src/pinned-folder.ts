import { closeSync, constants, openSync, readlinkSync } from 'node:fs';
import { open, readlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { declaredSymlinkTarget } from './managed-paths.js';

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

/** Links followed through declared links, at most (as the kernel's own limit on a path's links). */
const MAX_LINK_HOPS = 40;

/**
 * Where `folder` leads when only the symlinks file resources declare
 * (`symlink: true`) are followed, as declared: the symlink guard lets a
 * resource act through those and no others.
 */
function throughDeclaredLinks(folder: string): string {
  let rest = folder.split('/').filter((part) => part !== '');
  let current = '/';
  for (let hops = 0; rest.length > 0; ) {
    const next = posix.join(current, rest[0] as string);
    rest = rest.slice(1);
    const target = hops < MAX_LINK_HOPS ? declaredSymlinkTarget(next) : undefined;
    if (target === undefined) {
      current = next;
      continue;
    }
    hops++;
    rest = [...posix.resolve(current, target).split('/').filter((part) => part !== ''), ...rest];
    current = '/';
  }
  return current;
}

/**
 * The path of `name` in the folder open as `fd`, when that folder is where
 * `folder` should lead (itself, or through declared links); undefined
 * without /proc (nothing to pin with).
 */
function pinnedName(fd: number, folder: string, name: string, leadsTo: string | undefined): string | undefined {
  if (leadsTo === undefined) return undefined;
  if (leadsTo !== folder && leadsTo !== throughDeclaredLinks(folder)) throw new FolderMovedError(folder, leadsTo);
  return `${descriptorPath(fd)}/${name}`;
}

/**
 * What a change may go through on its way: `declared` symlinks only (the
 * symlink guard's rule), or `any` (a resource with `force: true`, which
 * follows links wherever they point).
 */
export type LinkRule = 'declared' | 'any';

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
    return await work(pinnedName(handle.fd, folder, posix.basename(path), leadsTo) ?? path, handle);
  } finally {
    await handle.close();
  }
}

/** inPinnedFolder with synchronous calls (for work that is itself synchronous). */
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
    return work(pinnedName(fd, folder, posix.basename(path), leadsTo) ?? path);
  } finally {
    closeSync(fd);
  }
}
