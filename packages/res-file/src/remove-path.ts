import { readdir, rm, rmdir, unlink } from 'node:fs/promises';
import { errnoCode, fileError } from './errors.js';
import type { ErrorSite } from './errors.js';
import { kindName } from './fs-state.js';
import type { Entry } from './fs-state.js';
import { inPinnedFolder } from './pinned-folder.js';

/** What `state: absent` is allowed to remove, from the params, and how to report. */
export interface RemoveOptions {
  /** The path was written with a trailing `/`: it names a directory. */
  readonly namesDir: boolean;
  readonly symlink: boolean;
  readonly force: boolean;
  readonly recurse: boolean;
  readonly apply: boolean;
  /** A reversal removes what converge made: its params are not the user's to change, so a hint naming them would mislead. */
  readonly reversal?: boolean;
  readonly site: ErrorSite;
  readonly log: (message: string) => void;
}

/**
 * The refusal of removing `entry`, when the params name another kind: a
 * symlink resource finds no link, a path without a trailing `/` (a file)
 * finds a directory, or one with it (a directory) finds something else. The likely mistake in the second is a directory path
 * written without its `/`; `recurse` must not turn it into the loss of a
 * whole tree. `force` takes what is there whatever its kind (a directory
 * with entries still needs `recurse`, as below). Checked without apply too,
 * so a check (or dry run) reports what an apply would meet.
 */
function refusal(path: string, entry: Entry, options: RemoveOptions): Error | undefined {
  if (options.force) return undefined;
  if (options.symlink && entry.kind !== 'symlink') {
    return fileError(options.site, `${path} is a ${kindName(entry.kind)}, not a symlink; refusing to remove it`, 'set force: true to remove it anyway');
  }
  if (options.namesDir && entry.kind !== 'dir') {
    return fileError(
      options.site,
      `${path} is a ${kindName(entry.kind)}, but the path (with a trailing /) names a directory; refusing to remove it`,
      `to remove the ${kindName(entry.kind)}, write the path without the trailing / (${path}); or set force: true to remove whatever is there`,
    );
  }
  if (entry.kind === 'dir' && !options.namesDir) {
    const contents = options.recurse ? ' and everything in it' : '';
    return fileError(
      options.site,
      `${path} is a directory, but the path (without a trailing /) names a file; refusing to remove it`,
      `to remove the directory${contents}, write the path with a trailing / (${path}/); or set force: true${options.recurse ? '' : ' (with recurse: true when it is not empty)'} to remove whatever is there`,
    );
  }
  return undefined;
}

/** Makes `path` absent (see README: state); returns true when nothing was there. */
export async function ensureRemoved(path: string, entry: Entry | undefined, options: RemoveOptions): Promise<boolean> {
  if (entry === undefined) return true;
  const refused = refusal(path, entry, options);
  if (refused) throw refused;
  if (!options.apply) {
    // A dry run foretells the refusal the real one would meet.
    if (entry.kind === 'dir' && !options.recurse && (await readdir(path)).length > 0) throw notEmpty(path, options);
    return false;
  }
  options.log(`removing ${kindName(entry.kind)} ${path}`);
  // In the folder as opened now: a folder swapped for a symlink meanwhile is refused, not emptied elsewhere.
  await inPinnedFolder(path, options.force ? 'any' : 'declared', async (pinned) => {
    if (entry.kind !== 'dir') await unlink(pinned);
    else if (options.recurse) await rm(pinned, { recursive: true, force: true });
    else {
      try {
        await rmdir(pinned);
      } catch (error) {
        if (errnoCode(error) !== 'ENOTEMPTY') throw error;
        throw notEmpty(path, options, error);
      }
    }
  });
  return false;
}

function notEmpty(path: string, options: RemoveOptions, cause?: unknown): Error {
  // A reversal removes a folder it made only when empty: what is in it now was put there by someone else.
  const hint = options.reversal
    ? 'converge made this folder and removes it only when empty: move or delete what is in it, or remove the folder yourself'
    : 'set recurse: true to remove it with its contents';
  return fileError(options.site, `directory ${path} is not empty`, hint, cause);
}
