import { closeSync, constants, lstatSync, openSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { letOthersRun } from './event-loop-slices.js';

const OPEN_OWN_FOLDER = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** A path in the folder open as `fd`, by the kernel's name for it: whatever happens to the folder's own path meanwhile. */
function inOpened(fd: number, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`/proc/self/fd/${fd}/`), name]);
}

/**
 * Removes `path` and, for a folder, everything in it, never following a
 * symlink: each folder is opened without following a link at its name, and
 * what is in it is removed through that open folder, so a folder swapped
 * for a link meanwhile has its link removed, not what it points to. With
 * synchronous calls, letting the event loop go on every few milliseconds:
 * an async `rm` of a folder of 20,000 files queues 20,000 calls in libuv's
 * pool, and every other resource's file calls wait behind them. Names are
 * handled as bytes, so one that is not valid UTF-8 goes too. Linux only
 * (/proc): the caller uses `rm` elsewhere.
 */
export async function removeTree(path: string | Buffer): Promise<void> {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  if (stats === undefined) return;
  if (!stats.isDirectory()) {
    unlinkSync(path);
    return;
  }
  let fd: number;
  try {
    fd = openSync(path, OPEN_OWN_FOLDER);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Swapped for a link (or a file) since the look: that is what is removed.
    if (code === 'ELOOP' || code === 'ENOTDIR') {
      unlinkSync(path);
      return;
    }
    if (code === 'ENOENT') return;
    throw error;
  }
  try {
    for (const name of readdirSync(inOpened(fd, Buffer.alloc(0)), { encoding: 'buffer' })) {
      await removeTree(inOpened(fd, name));
      await letOthersRun();
    }
  } finally {
    closeSync(fd);
  }
  rmdirSync(path);
}
