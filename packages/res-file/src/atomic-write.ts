import { constants } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { copyInChunks, openInputFile } from './large-files.js';
import { isDirOnLocalFs } from './local-fs.js';
import { inPinnedFolder, type LinkRule } from './pinned-folder.js';
import { sweepLeftoverTemps } from './leftover-temps.js';
import { createTempFile, createTempLink, holdingTemp, type NewFile } from './temp-files.js';
import { tempNameFor } from './temp-names.js';
import { inWriteSlot } from './write-slots.js';

/** What the new file gets before it replaces the old one. */
export interface NewFileAttributes {
  /** Exact permission bits; left out, the process umask decides. */
  readonly mode?: number | undefined;
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
}

/**
 * Bytes written per call: between two, an abort is seen. A large copy (a
 * file of hundreds of megabytes) then stops within one chunk's write of a
 * forced stop, instead of running to its end.
 */
const CHUNK_BYTES = 8 << 20;

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/** Writes all of `data` at the start of the file, a chunk at a time, stopping (with the abort's reason) once `signal` aborts. */
async function writeInChunks(handle: Pick<NewFile, 'write'>, data: Uint8Array, signal: AbortSignal | undefined): Promise<void> {
  let offset = 0;
  do {
    signal?.throwIfAborted();
    const end = Math.min(offset + CHUNK_BYTES, data.length);
    const { bytesWritten } = await handle.write(data, offset, end - offset, offset);
    offset += bytesWritten;
  } while (offset < data.length);
}

/**
 * Replaces `path` with `data` so that a reader sees the old file or the new
 * one, never a mix: a temp file is created beside it (O_EXCL, O_NOFOLLOW),
 * owned and moded before any byte is written, filled, fsynced, renamed over
 * the target, and then the directory is fsynced so the rename survives a
 * crash. A failure removes the temp file and leaves the target untouched;
 * so does an abort of `signal` (a forced stop) at any point before the
 * rename, which is the one step that changes the target.
 */
export async function writeFileAtomic(path: string, data: Uint8Array, attributes: NewFileAttributes = {}, signal?: AbortSignal, links: LinkRule = 'declared', fresh = false): Promise<void> {
  // Each replacement holds descriptors from its start to its end: a bounded number at once (see write-slots.ts).
  await inWriteSlot(() => fillFileAtomic(path, attributes, signal, links, fresh, (handle) => writeInChunks(handle, data, signal)));
}

/**
 * Replaces `path` with a copy of the regular file `from` (followed if a
 * symlink), as writeFileAtomic does, a chunk at a time: for a large source,
 * which is never held in memory whole.
 */
export async function copyFileAtomic(path: string, from: string, attributes: NewFileAttributes = {}, signal?: AbortSignal, links: LinkRule = 'declared', fresh = false): Promise<void> {
  // The source is opened in the slot too: a copy of a folder of thousands of files must not hold them all open.
  await inWriteSlot(async () => {
    const source = await openInputFile(from);
    try {
      await fillFileAtomic(path, attributes, signal, links, fresh, (handle) => copyInChunks(source, handle, signal));
    } finally {
      await source.close();
    }
  });
}

/** writeFileAtomic's steps, with `fill` writing the new file's bytes. */
async function fillFileAtomic(path: string, attributes: NewFileAttributes, signal: AbortSignal | undefined, links: LinkRule, fresh: boolean, fill: (handle: NewFile) => Promise<void>): Promise<void> {
  await replaceThroughTemp(path, links, signal, fresh, async (temp, local) => {
    const handle = await createTempFile(temp, attributes.mode ?? 0o666, local);
    try {
      // chown first: it clears setuid/setgid bits that chmod then sets.
      if (attributes.uid !== undefined || attributes.gid !== undefined) {
        await handle.chown(attributes.uid ?? -1, attributes.gid ?? -1);
      }
      if (attributes.mode !== undefined) await handle.chmod(attributes.mode);
      await fill(handle);
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}

/**
 * The steps every replacement of `path` shares: leftover temp files swept,
 * `make` fills a new temp file beside it (through the folder as opened now:
 * a folder swapped for a symlink meanwhile is refused, or not written
 * through), which is renamed over `path` unless `signal` aborted meanwhile
 * (a long fsync: a stop asked then still keeps the target), and the folder
 * fsynced so that the rename survives a crash. A failure removes the temp file,
 * and so does the process's exit while the write is under way (a forced
 * stop exits without waiting for it: see temp-files.ts).
 *
 * `fresh`: the path was found missing, and only a new file is wanted there.
 * A rename would replace whatever another process made there meanwhile (a
 * log reopened after its rotation: its writes then go to an unlinked file);
 * a hard link fails with EEXIST instead, and the check looks again (QA: 15
 * of 20 such writes lost). File systems without hard links get the rename.
 */
async function replaceThroughTemp(path: string, links: LinkRule, signal: AbortSignal | undefined, fresh: boolean, make: (temp: string, local: boolean) => Promise<void>): Promise<void> {
  await sweepLeftoverTemps(path);
  signal?.throwIfAborted();
  const local = isDirOnLocalFs(posix.dirname(path));
  await inPinnedFolder(path, links, async (target, folder) => {
    const temp = posix.join(posix.dirname(target), posix.basename(tempNameFor(path)));
    // Held until renamed or removed: the folder's descriptor, which `temp` may go through, is open until then.
    await holdingTemp(temp, async () => {
      try {
        await make(temp, local);
        signal?.throwIfAborted();
        if (fresh && (await linkedAsNew(temp, target))) await unlink(temp);
        else await rename(temp, target);
      } catch (error) {
        await removeQuietly(temp);
        throw error;
      }
    });
    await folder.sync();
  });
}

/** Errors of a file system that makes no hard links (FAT, some FUSE ones): the rename is used there. */
const NO_HARD_LINKS: ReadonlySet<string> = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS']);

/** Links `temp` at `target` only if nothing is there (EEXIST otherwise); false when the file system makes no hard links. */
async function linkedAsNew(temp: string, target: string): Promise<boolean> {
  try {
    await link(temp, target);
    return true;
  } catch (error) {
    if (NO_HARD_LINKS.has((error as NodeJS.ErrnoException).code ?? '')) return false;
    throw error;
  }
}

/**
 * Writes `data` into the existing file at `path`, in one write where it
 * fits: for the kernel's own files (see kernel-fs.ts), which read the write
 * as a command (a sysctl value) and cannot be replaced by another file.
 */
export async function writeInPlace(path: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  const handle = await open(path, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW);
  try {
    await writeInChunks(handle, data, signal);
  } finally {
    await handle.close();
  }
}

/** Points a symlink at `path` to `target`, replacing whatever link was there in one rename (not once `signal` aborted); `fresh`: only where nothing is (see replaceThroughTemp). */
export async function symlinkAtomic(path: string, target: string, signal?: AbortSignal, links: LinkRule = 'declared', fresh = false): Promise<void> {
  await inWriteSlot(() => replaceThroughTemp(path, links, signal, fresh, (temp, local) => createTempLink(temp, target, local)));
}
