import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readdir, rename, symlink, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** What the new file gets before it replaces the old one. */
export interface NewFileAttributes {
  /** Exact permission bits; left out, the process umask decides. */
  readonly mode?: number | undefined;
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
}

/** A name in the target's own directory, so the final rename stays on one file system. */
function tempNameFor(path: string): string {
  // randomUUID draws from a cached entropy pool: cheaper per write than randomBytes.
  const hex = randomUUID().replaceAll('-', '').slice(0, 12);
  return join(dirname(path), `.${basename(path)}.converge-${hex}.tmp`);
}

const TEMP_SUFFIX = /^\.(.+)\.converge-[0-9a-f]{12}\.tmp$/;

/**
 * Per directory, the temp files a process killed between creating and
 * renaming one left behind (they never replace a target, but they are
 * litter), by target name. Listed once per directory per process, on the
 * first write there: one readdir per directory, not one per file.
 */
const leftoversByDir = new Map<string, Promise<Map<string, string[]>>>();

function leftoversIn(dir: string): Promise<Map<string, string[]>> {
  let listing = leftoversByDir.get(dir);
  if (listing === undefined) {
    listing = readdir(dir)
      .catch(() => [] as string[])
      .then((names) => {
        const byTarget = new Map<string, string[]>();
        for (const name of names) {
          const target = TEMP_SUFFIX.exec(name)?.[1];
          if (target !== undefined) byTarget.set(target, [...(byTarget.get(target) ?? []), name]);
        }
        return byTarget;
      });
    leftoversByDir.set(dir, listing);
  }
  return listing;
}

/**
 * Removes the temp files a crash left for this target, after its first
 * write: a leftover means the previous run was writing this very file.
 * Writes to one target are never concurrent within a process and this
 * runs once per target, after its first rename: a listed temp of this
 * target is a leftover, or that first write's own temp, already renamed
 * (its unlink finds nothing).
 */
async function sweepLeftoverTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const byTarget = await leftoversIn(dir);
  const target = basename(path);
  const names = byTarget.get(target);
  if (names === undefined) return;
  byTarget.delete(target);
  for (const name of names) await removeQuietly(join(dir, name));
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/**
 * Replaces `path` with `data` so that a reader sees the old file or the new
 * one, never a mix: a temp file is created beside it (O_EXCL, O_NOFOLLOW),
 * owned and moded before any byte is written, filled, fsynced, renamed over
 * the target, and then the directory is fsynced so the rename survives a
 * crash. A failure removes the temp file and leaves the target untouched.
 */
export async function writeFileAtomic(path: string, data: Uint8Array, attributes: NewFileAttributes = {}): Promise<void> {
  const temp = tempNameFor(path);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(temp, flags, attributes.mode ?? 0o666);
  try {
    try {
      // chown first: it clears setuid/setgid bits that chmod then sets.
      if (attributes.uid !== undefined || attributes.gid !== undefined) {
        await handle.chown(attributes.uid ?? -1, attributes.gid ?? -1);
      }
      if (attributes.mode !== undefined) await handle.chmod(attributes.mode);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await removeQuietly(temp);
    throw error;
  }
  await syncDir(dirname(path));
  await sweepLeftoverTemps(path);
}

/** Points a symlink at `path` to `target`, replacing whatever link was there in one rename. */
export async function symlinkAtomic(path: string, target: string): Promise<void> {
  const temp = tempNameFor(path);
  await symlink(target, temp);
  try {
    await rename(temp, path);
  } catch (error) {
    await removeQuietly(temp);
    throw error;
  }
  await syncDir(dirname(path));
}
