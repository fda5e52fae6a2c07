import { randomBytes } from 'node:crypto';
import { close, constants, fsync, openSync, unlinkSync, writeFile } from 'node:fs';
import { chmod, lstat, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

/** The file name of the saved password inside the resource's var dir. */
export const PASSWORD_FILE_NAME = 'password';
/** Only the engine's user may read a saved password. */
export const PASSWORD_FILE_MODE = 0o600;

/** What is on disk: nothing, or the text and the permission bits of the file. */
export type SavedPassword =
  | { readonly exists: false }
  | { readonly exists: true; readonly regular: boolean; readonly text: string; readonly mode: number };

export function passwordFilePath(varDir: string): string {
  return join(varDir, PASSWORD_FILE_NAME);
}

export async function readSavedPassword(path: string): Promise<SavedPassword> {
  try {
    const info = await lstat(path);
    // Anything other than a regular file (a symlink, a folder) is not ours to read.
    if (!info.isFile()) return { exists: true, regular: false, text: '', mode: info.mode & 0o777 };
    return { exists: true, regular: true, text: (await readFile(path, 'utf8')).trim(), mode: info.mode & 0o777 };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false };
    throw error;
  }
}

const writeFd = promisify(writeFile);
const fsyncFd = promisify(fsync);
const closeFd = promisify(close);

/**
 * Temp files being written, removed synchronously if the process exits
 * first: a forced stop exits without waiting for a write's removal of its
 * temp file, which would leave the secret behind. Each is created
 * synchronously (the state directory is local): a creation still queued in
 * libuv's pool would run after the exit handlers, as the process ends.
 */
const writing = new Set<string>();
let removedAtExit = false;

function removeTempsLeft(): void {
  for (const temp of writing) {
    try {
      unlinkSync(temp);
    } catch {
      // ENOENT: renamed into place already.
    }
  }
}

/**
 * Writes the password through a temp file and a rename, so a crash leaves
 * either the old password or the new one, never half of one; the temp file
 * is created 0600, so the secret is never readable by others, even briefly.
 */
export async function writeSavedPassword(path: string, password: string): Promise<void> {
  await removeLeftoverTemps(path);
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  if (!removedAtExit) {
    process.on('exit', removeTempsLeft);
    removedAtExit = true;
  }
  writing.add(temp);
  try {
    const fd = openSync(temp, 'wx', PASSWORD_FILE_MODE);
    try {
      await writeFd(fd, `${password}\n`);
      await fsyncFd(fd);
    } finally {
      await closeFd(fd);
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  } finally {
    writing.delete(temp);
  }
  // The rename itself made durable: after a crash the password read back is the one sent on.
  const folder = await open(dirname(path), constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** The temp files of writes a crash cut short (each holds a password): removed before the next write. */
async function removeLeftoverTemps(path: string): Promise<void> {
  const name = basename(path);
  const leftover = new RegExp(`^${name}\\.[0-9a-f]{12}\\.tmp$`);
  const entries = await readdir(dirname(path)).catch(() => []);
  for (const entry of entries) if (leftover.test(entry)) await rm(join(dirname(path), entry), { force: true });
}

export async function fixPasswordFileMode(path: string): Promise<void> {
  await chmod(path, PASSWORD_FILE_MODE);
}

export async function removeSavedPassword(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}
