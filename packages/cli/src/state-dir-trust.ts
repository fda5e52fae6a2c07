import { realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { userInfo } from 'node:os';

/**
 * A state directory that another user may change, refused: converge acts on
 * what it holds (a reversal record says what to write where, as root too; a
 * saved password is used as found), so whoever can write there could have
 * converge write any file. As ssh treats its keys: the directory must be
 * this user's and writable by no one else, and so must every folder above
 * it be (root's or this user's, writable by no one else unless sticky, as
 * /tmp is: there no one may rename another's entry).
 */
export class StateDirUntrustedError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/**
 * Throws StateDirUntrustedError when another user could change the state
 * directory `path` or replace it: the directory (its real one, through
 * links) must be this user's and writable by no one else; the folders
 * above its real path, root's or this user's and writable by no one else
 * unless sticky (those above the path as given: checkFoldersAbove, which
 * the caller runs before it makes the directory). Returns the real path,
 * which the run uses from then on: a link on the way, swapped later, must
 * not move it (QA: a prefix through a link in another user's folder passed,
 * and that user could point it elsewhere during the run).
 */
export async function checkStateDirTrusted(path: string): Promise<string> {
  const me = myUid();
  const real = await realpath(path);
  const shown = real === path ? path : `${path} (${real})`;
  const own = await stat(real);
  // A shared folder (sticky, as /tmp is) is the machine's: its mode and owner must not be changed for converge (QA: told to chmod go-w /tmp).
  const shared = (own.mode & 0o1000) !== 0;
  const sharedHint = `${real} is a shared folder (sticky): leave its owner and mode as they are, and give converge a folder of its own in it, e.g. --prefix ${join(real, 'converge')} (converge makes it, 0700)`;
  if (own.uid !== me) {
    throw new StateDirUntrustedError(
      `${shown} belongs to uid ${own.uid}, not to this user (uid ${me}): converge acts on what it holds (reversals, saved passwords)`,
      shared ? sharedHint : `give it to this user and let no one else write it (chown ${me} ${real} && chmod go-w ${real}), or choose another with --prefix DIR`,
    );
  }
  if ((own.mode & 0o022) !== 0) {
    throw new StateDirUntrustedError(
      `${shown} may be written by ${(own.mode & 0o002) !== 0 ? 'every user' : 'its group'} (mode ${modeText(own.mode)}): converge acts on what it holds (reversals, saved passwords)`,
      shared ? sharedHint : `chmod go-w ${real} (converge makes it 0700), or choose another with --prefix DIR`,
    );
  }
  if (real !== path) await checkFoldersAbove(real, me);
  return real;
}

/**
 * Throws StateDirUntrustedError when a folder above `path` (those that
 * exist: the ones to be made are made by this user, 0700) may be changed by
 * another user. Checked before anything is made there too.
 */
export async function checkFoldersAbove(path: string, me = myUid()): Promise<void> {
  for (let folder = dirname(path); ; folder = dirname(folder)) {
    const above = await stat(folder).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    });
    const sticky = above !== undefined && (above.mode & 0o1000) !== 0;
    if (above !== undefined && ((above.uid !== 0 && above.uid !== me) || ((above.mode & 0o022) !== 0 && !sticky))) {
      throw new StateDirUntrustedError(
        `${folder}, above the state directory ${path}, may be changed by another user (uid ${above.uid}, mode ${modeText(above.mode)}): the state directory could be replaced`,
        'choose a state directory whose every folder above belongs to root or this user and is writable by no one else, with --prefix DIR',
      );
    }
    if (dirname(folder) === folder) return;
  }
}

function myUid(): number {
  return process.geteuid?.() ?? userInfo().uid;
}

function modeText(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}
