import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { errnoCode } from './errors.js';

export type EntryKind = 'file' | 'dir' | 'symlink' | 'other';

/** What is at a path, seen without following a symlink there. */
export interface Entry {
  readonly kind: EntryKind;
  /** Permission bits (07777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** How a kind of entry is named in messages: `directory`, `special file`. */
export function kindName(kind: EntryKind): string {
  return kind === 'dir' ? 'directory' : kind === 'other' ? 'special file' : kind;
}

/** lstat of `path`, or undefined when nothing is there. */
export async function lstatEntry(path: string): Promise<Entry | undefined> {
  try {
    const stats = await lstat(path);
    const kind: EntryKind = stats.isSymbolicLink()
      ? 'symlink'
      : stats.isDirectory()
        ? 'dir'
        : stats.isFile()
          ? 'file'
          : 'other';
    return { kind, mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid };
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

// O_NOFOLLOW makes the open fail (ELOOP) if a symlink was swapped in after the
// lstat; O_NONBLOCK keeps a FIFO swapped in from blocking the open.
const NO_FOLLOW_READ = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Opens a file or directory that must not be a symlink, runs `use`, closes it. */
export async function withNoFollowHandle<T>(path: string, isDir: boolean, use: (handle: FileHandle) => Promise<T>): Promise<T> {
  const handle = await open(path, isDir ? NO_FOLLOW_READ | constants.O_DIRECTORY : NO_FOLLOW_READ);
  try {
    return await use(handle);
  } finally {
    await handle.close();
  }
}

/** The bytes of a regular file, refusing to read through a symlink. */
export function readNoFollow(path: string): Promise<Buffer> {
  return withNoFollowHandle(path, false, (handle) => handle.readFile());
}
