import { randomBytes } from 'node:crypto';
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
  return join(dirname(path), `.${basename(path)}.converge-${randomBytes(6).toString('hex')}.tmp`);
}

/** Targets whose directory was already searched for temp files a crash left behind. */
const sweptTargets = new Set<string>();

/**
 * Removes this target's temp files left by a process killed between
 * creating and renaming one (they never replace the target, but they are
 * litter). Once per target per process, after the first write: a leftover
 * means the previous run was writing this very file, so it gets written now.
 * Writes to one target are never concurrent within a process, so every
 * other temp of this target is a leftover.
 */
async function sweepLeftoverTemps(path: string): Promise<void> {
  if (sweptTargets.has(path)) return;
  sweptTargets.add(path);
  const prefix = `.${basename(path)}.converge-`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(prefix) && /^[0-9a-f]{12}\.tmp$/.test(name.slice(prefix.length))) await removeQuietly(join(dirname(path), name));
  }
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
