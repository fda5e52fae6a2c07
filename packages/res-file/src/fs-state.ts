import { Buffer } from 'node:buffer';
import { closeSync, constants, lstatSync, openSync, readSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { isMissingPath } from './errors.js';
import { isOnLocalFs } from './local-fs.js';

export type EntryKind = 'file' | 'dir' | 'symlink' | 'other';

/** What is at a path, seen without following a symlink there. */
export interface Entry {
  readonly kind: EntryKind;
  /** Permission bits (07777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Bytes, for a regular file. */
  readonly size: number;
}

/** Content up to this size is compared synchronously on a local file system; bigger content async. */
export const SYNC_READ_MAX_BYTES = 1 << 20;

/** How a kind of entry is named in messages: `directory`, `special file`. */
export function kindName(kind: EntryKind): string {
  return kind === 'dir' ? 'directory' : kind === 'other' ? 'special file' : kind;
}

const { S_IFMT, S_IFLNK, S_IFDIR, S_IFREG } = constants;

/** The kind of entry its mode's type bits say (what Stats' isFile and the like read, each with a check of its own). */
export function kindOfMode(mode: number): EntryKind {
  const type = mode & S_IFMT;
  return type === S_IFREG ? 'file' : type === S_IFDIR ? 'dir' : type === S_IFLNK ? 'symlink' : 'other';
}

function toEntry(stats: Stats): Entry {
  const mode = stats.mode;
  return { kind: kindOfMode(mode), mode: mode & 0o7777, uid: stats.uid, gid: stats.gid, size: stats.size };
}

/** lstat of `path` with a synchronous call (for a local file system only), or undefined when nothing is there. */
export function lstatEntrySync(path: string): Entry | undefined {
  const stats = lstatStatsSync(path);
  return stats === undefined ? undefined : toEntry(stats);
}

const NO_THROW_IF_MISSING = { throwIfNoEntry: false } as const;

/** lstatEntrySync's Stats, for a caller that reads a field or two of it (no Entry made: see quick-check.ts). */
export function lstatStatsSync(path: string): Stats | undefined {
  return lstatSync(path, NO_THROW_IF_MISSING);
}

/** lstat of `path`, or undefined when nothing is there. Synchronous on a local file system (see local-fs). */
export async function lstatEntry(path: string): Promise<Entry | undefined> {
  try {
    if (isOnLocalFs(path)) return lstatEntrySync(path);
    return toEntry(await lstat(path));
  } catch (error) {
    if (isMissingPath(error)) return undefined;
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

/**
 * Whether the file holds exactly `wanted`, read through one descriptor
 * without the async round trips: `wanted.length + 1` bytes at most, so a
 * longer file shows itself without being read whole. Callers know the path
 * is a regular file on a local file system, where a read returns fewer bytes
 * than asked for only at the end of the file: one read then suffices, and
 * the usual second read that returns 0 (a tenth of an idempotent check's
 * system calls) is not made.
 */
export function hasContentSync(path: string, wanted: Uint8Array): boolean {
  const fd = openSync(path, NO_FOLLOW_READ);
  try {
    const limit = wanted.length + 1;
    const buffer = scratchOf(limit);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, limit - length, null);
      length += read;
      if (length === limit) return false;
      if (read === 0 || length >= wanted.length) break;
    }
    // equals on a view, not compare with offsets: compare checks its four
    // offsets in JavaScript, a cost of its own in every check.
    return length === wanted.length && scratchView(length).equals(wanted);
  } finally {
    closeSync(fd);
  }
}

/**
 * One buffer for every synchronous comparison (they cannot overlap), grown
 * as needed: thousands of checks allocate nothing.
 */
let scratch = Buffer.allocUnsafeSlow(4096);
/**
 * The scratch buffer's first N bytes, by N, made once: files of a graph
 * have a few lengths, and a view per check cost several calls of Node's
 * own (subarray checks its offsets in JavaScript).
 */
let views: Buffer[] = [];

function scratchOf(size: number): Buffer {
  if (scratch.length < size) {
    scratch = Buffer.allocUnsafeSlow(Math.max(size, scratch.length * 2));
    views = [];
  }
  return scratch;
}

/** The first `length` bytes of the current scratch buffer. */
function scratchView(length: number): Buffer {
  return (views[length] ??= scratch.subarray(0, length));
}

/**
 * Whether the regular file at `path` holds exactly `wanted`, refusing to
 * read through a symlink; undefined when nothing is there any more. Small
 * files on a local file system are compared synchronously.
 */
export async function hasContent(path: string, wanted: Buffer): Promise<boolean | undefined> {
  try {
    if (wanted.length <= SYNC_READ_MAX_BYTES && isOnLocalFs(path)) return hasContentSync(path, wanted);
    return wanted.equals(await withNoFollowHandle(path, false, (handle) => handle.readFile()));
  } catch (error) {
    if (isMissingPath(error)) return undefined;
    throw error;
  }
}

/** The bytes of a regular file, refusing to read through a symlink. */
export function readNoFollow(path: string): Promise<Buffer> {
  return withNoFollowHandle(path, false, (handle) => handle.readFile());
}
