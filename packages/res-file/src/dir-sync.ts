import { existsSync, lstatSync, readFileSync, rmSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, mkdir, readFile, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { copyFileAtomic, symlinkAtomic, writeFileAtomic } from './atomic-write.js';
import { LARGE_FILE_BYTES, sameBytesInChunks } from './large-files.js';
import { SYNC_READ_MAX_BYTES, hasContentSync, lstatEntry, readNoFollow, withNoFollowHandle } from './fs-state.js';
import { NOT_UTF8, namesIn } from './folder-names.js';
import { removeTree } from './remove-tree.js';
import { letOthersRun } from './event-loop-slices.js';
import { formatMode } from './mode.js';
import { shownPath } from './paths.js';
import { isOnLocalFs } from './local-fs.js';
import { tempTargetOf } from './temp-names.js';
import type { Entry, EntryKind } from './fs-state.js';
import type { ManagedRelation } from './managed-paths.js';
import { inPinnedFolder, inPinnedFolderSync, NeedsLinkCheck, type LinkRule } from './pinned-folder.js';

/** What a directory sync needs to know and may do. */
export interface DirSyncOptions {
  readonly apply: boolean;
  readonly recurse: boolean;
  readonly purge: boolean;
  readonly force: boolean;
  /** What changes inside may go through: `declared` links, or (with `force`) any above the directory as opened (see openedWithin). */
  readonly links: LinkRule;
  readonly signal: AbortSignal;
  /**
   * How an entry relates to what other resources manage. The more specific
   * resource wins: an entry another one manages is neither copied nor purged;
   * one that holds a managed path is never purged, and is copied only as a
   * directory (whose own entries are asked about in turn).
   */
  readonly managedElsewhere: (path: string) => ManagedRelation | undefined;
  /** Says that something was (or, without apply, would be) changed. */
  readonly onChange: (what: string) => void;
  /** Reports a kind change that needs `force` (or, for a special file in the way, is never made). */
  readonly refuseConversion: (path: string, from: EntryKind, to: EntryKind) => Error;
  /**
   * An entry left alone, with why, as a sentence that starts with the path:
   * a source entry that cannot be copied (a FIFO, a socket, a device: left
   * out, as rsync does), or one whose name is not valid UTF-8 (not copied,
   * not purged).
   */
  readonly skipped: (path: string, why: string) => void;
}

function kindOf(stats: Awaited<ReturnType<typeof lstat>>): EntryKind | undefined {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isDirectory()) return 'dir';
  if (stats.isFile()) return 'file';
  return undefined;
}

/**
 * Makes `dst` hold what `src` holds ("rsync style", never following a
 * symlink on either side: links are copied as links). Extra entries in
 * `dst` are removed only with `purge`. Entries other resources manage are
 * left to them (see `managedElsewhere`). With `src` undefined only the purge
 * runs. Returns true when nothing differed. Without apply it stops at the
 * first difference.
 */
export async function syncDir(src: string | undefined, dst: string, options: DirSyncOptions): Promise<boolean> {
  const refused: Error[] = [];
  const inSync = await syncLevel(src, dst, options, refused);
  // The first refusal, once everything else was done: one entry in the way must not keep the others from being kept up to date.
  if (refused[0] !== undefined) throw refused[0];
  return inSync;
}

/** syncDir for one folder and (with recurse) the folders in it; refusals are collected in `refused` (with apply) and the rest goes on. */
async function syncLevel(src: string | undefined, dst: string, options: DirSyncOptions, refused: Error[]): Promise<boolean> {
  let inSync = true;
  const wanted = new Set<string>();
  const differs = (what: string): boolean => {
    inSync = false;
    options.onChange(what);
    return !options.apply;
  };

  if (src !== undefined) {
    const { names, unnameable } = await namesIn(src);
    for (const name of unnameable) options.skipped(join(src, name), `not copied: ${join(src, name)} ${NOT_UTF8}; rename it`);
    for (const name of names) {
      options.signal.throwIfAborted();
      wanted.add(name);
      const from = join(src, name);
      const to = join(dst, name);
      const relation = options.managedElsewhere(to);
      // Copying over it would undo the other resource's work, and it would undo ours: they would never settle.
      if (relation === 'managed') continue;
      await letOthersRun();
      const sourceStats = isOnLocalFs(from) ? lstatSync(from) : await lstat(from);
      const kind = kindOf(sourceStats);
      if (kind === undefined) {
        // Not copied, and not purged from the target either (it is in the source).
        options.skipped(from, `not copied: ${from} is a special file (a FIFO, socket or device); only files, directories and symlinks are copied`);
        continue;
      }
      // A file or link here would remove the folder that holds what another resource manages.
      if (relation === 'holds' && kind !== 'dir') continue;
      const existing = await lstatEntry(to);
      if (existing !== undefined && existing.kind !== kind) {
        // A special file is never replaced, as a file resource never replaces one.
        if (!options.force || existing.kind === 'other') {
          const refusal = options.refuseConversion(to, existing.kind, kind);
          if (!options.apply) throw refusal;
          refused.push(refusal);
          inSync = false;
          continue;
        }
        if (differs(`replace ${existing.kind} ${shownPath(to)} with a ${kind}`)) return false;
        await inPinnedFolder(to, options.links, (pinned) => rm(pinned, { recursive: true, force: true }));
      }
      const present = existing !== undefined && existing.kind === kind ? existing : undefined;
      // Each copied entry has its source's permission bits, kept so: a file
      // that is 0600 in the source (a key) is never readable by others here.
      const sourceMode = sourceStats.mode & 0o7777;
      if (kind === 'dir') {
        if (present === undefined) {
          if (differs(`mkdir ${shownPath(to)}`)) return false;
          await inPinnedFolder(to, options.links, (pinned) => mkdir(pinned, { mode: sourceMode }));
          await chmodNoFollow(to, true, sourceMode, options.links); // umask may have taken bits off
        } else if (present.mode !== sourceMode) {
          if (differs(`chmod ${formatMode(sourceMode)} ${shownPath(to)} (was ${formatMode(present.mode)})`)) return false;
          await chmodNoFollow(to, true, sourceMode, options.links);
        }
        if (options.recurse && !(await syncLevel(`${from}/`, to, options, refused))) {
          inSync = false;
          if (!options.apply) return false;
        }
      } else if (kind === 'symlink') {
        const target = await readlink(from);
        if (present === undefined || (await readlink(to)) !== target) {
          if (differs(`symlink ${shownPath(to)} -> ${shownPath(target)}`)) return false;
          await symlinkAtomic(to, target, options.signal, options.links, present === undefined);
        }
      } else if (!(await sameFileContent(from, to, sourceStats, present))) {
        if (differs(`copy ${shownPath(from)} to ${shownPath(to)}`)) return false;
        const attributes = { mode: sourceMode, uid: present?.uid, gid: present?.gid };
        const fresh = present === undefined;
        if (sourceStats.size > LARGE_FILE_BYTES) await copyFileAtomic(to, from, attributes, options.signal, options.links, fresh);
        else await writeFileAtomic(to, await readFile(from, { signal: options.signal }), attributes, options.signal, options.links, fresh);
      } else if (present !== undefined && present.mode !== sourceMode) {
        if (differs(`chmod ${formatMode(sourceMode)} ${shownPath(to)} (was ${formatMode(present.mode)})`)) return false;
        await chmodNoFollow(to, false, sourceMode, options.links);
      }
    }
  }

  if (options.purge) {
    const { names, unnameable } = await namesIn(dst);
    for (const name of unnameable) options.skipped(join(dst, name), `not purged: ${join(dst, name)} ${NOT_UTF8}; rename it`);
    for (const name of names) {
      options.signal.throwIfAborted();
      await letOthersRun();
      const path = join(dst, name);
      if (wanted.has(name)) continue;
      const relation = options.managedElsewhere(path);
      if (relation === 'holds' && options.recurse) {
        // A folder the source lacks that holds what another resource
        // manages stays, but what else is in it is purged all the same.
        if (!(await syncLevel(undefined, path, options, refused))) {
          inSync = false;
          if (!options.apply) return false;
        }
        continue;
      }
      if (relation !== undefined) continue;
      // The temp file of a write under way by the resource that manages its
      // target (removing it would fail that write, again and again); a
      // crash's leftover of it is that resource's to sweep. (A long name's
      // key is a hash, which managedElsewhere knows too: see managedBelow.)
      const target = tempTargetOf(name);
      if (target !== undefined && options.managedElsewhere(join(dst, target)) === 'managed') continue;
      // Gone since the listing (a temp file renamed, say): nothing to purge, nothing to tell.
      const found = await lstatEntry(path);
      if (found === undefined) continue;
      if (differs(`purge ${shownPath(path)}`)) return false;
      await removeEntry(path, found.kind === 'dir', options.links);
    }
  }
  return inSync;
}

/** chmod through a descriptor opened without following a symlink (one swapped in is refused, not followed). */
async function chmodNoFollow(path: string, isDir: boolean, mode: number, links: LinkRule): Promise<void> {
  await inPinnedFolder(path, links, (pinned) => withNoFollowHandle(pinned, isDir, (handle) => handle.chmod(mode)));
}

/**
 * Whether the copy `to` (`present`: what its lstat found) holds what `from`
 * (a regular file, `source` its lstat) does. Files of different sizes
 * differ unread. On local file systems, with synchronous calls: an async
 * read costs four trips through libuv's pool (open, fstat, read, close),
 * which for a tree of thousands of files was most of a check.
 */
async function sameFileContent(from: string, to: string, source: Stats, present: Entry | undefined): Promise<boolean> {
  if (present === undefined || present.size !== source.size) return false;
  if (source.size <= SYNC_READ_MAX_BYTES && isOnLocalFs(from) && isOnLocalFs(to)) return hasContentSync(to, readFileSync(from));
  if (source.size > LARGE_FILE_BYTES) return (await sameBytesInChunks(from, to)) === true;
  const [wanted, actual] = await Promise.all([readFile(from), readNoFollow(to)]);
  return wanted.equals(actual);
}


/** Whether folders can be named by their descriptors (Linux's /proc), which removeTree needs. */
const HAS_PROC_FD = existsSync('/proc/self/fd');

/**
 * Removes a purged entry (a link as a link: rm does not follow it). On a
 * local file system with synchronous calls: a file or link with one (an
 * async call each costs a round trip through libuv's pool), a folder, which
 * may hold thousands of files, with removeTree, which lets the event loop
 * go on every few milliseconds (an async rm of 20,000 files queued as many
 * calls in the pool, and other resources' repairs waited half a second
 * behind them).
 */
async function removeEntry(path: string, isDir: boolean, links: LinkRule): Promise<void> {
  // In the folder as opened now: a purged folder swapped for a symlink is refused, not emptied elsewhere.
  if (isDir && HAS_PROC_FD && isOnLocalFs(path)) {
    await inPinnedFolder(path, links, (pinned) => removeTree(pinned));
    return;
  }
  if (!isDir && isOnLocalFs(path)) {
    try {
      inPinnedFolderSync(path, links, (pinned) => rmSync(pinned, { recursive: true, force: true }));
      return;
    } catch (error) {
      if (!(error instanceof NeedsLinkCheck)) throw error;
    }
  }
  await inPinnedFolder(path, links, (pinned) => rm(pinned, { recursive: true, force: true }));
}
