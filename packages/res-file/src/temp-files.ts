import { close, constants, fchmod, fchown, fsync, openSync, symlinkSync, unlinkSync, write } from 'node:fs';
import { open, symlink } from 'node:fs/promises';
import { promisify } from 'node:util';

/**
 * The temp files of atomic writes that may exist now: made, or being made,
 * and neither renamed into place nor removed yet. What is left of them when
 * the process exits is removed then, synchronously: a forced stop ends the
 * process (process.exit) with the removal of an aborted write's temp file
 * still queued behind the fsyncs in libuv's pool, and that queue's
 * callbacks never run (QA: 1,819 temp files left after a third SIGINT, a
 * few after a second).
 *
 * A temp file stays here until its rename (or link) into place has
 * completed: removed at exit before that, the rename fails and the target
 * keeps its old content, which is what an aborted write promises; removed
 * after it, the name is gone already (ENOENT, ignored), so a file renamed
 * into place is never removed.
 *
 * Node runs the calls queued in libuv's pool to their end as the process
 * exits, after the 'exit' handlers: a temp file whose creation were still
 * queued then would be made after its removal. So, on a local file system,
 * temp files are created synchronously (microseconds there, as the checks'
 * calls are): every temp file that exists then is one the exit handler
 * knows. On another file system (NFS…) the creation stays asynchronous, so
 * that a hung server blocks one write, not the engine: a temp file still
 * being created when the process exits may be left, and the next write of
 * its target (in a later run) removes it (see leftover-temps.ts).
 */
const inFlight = new Set<string>();
let removedAtExit = false;

function removeLeftovers(): void {
  for (const temp of inFlight) {
    try {
      unlinkSync(temp);
    } catch {
      // ENOENT: renamed into place, or never made. Anything else: nothing more to do at exit.
    }
  }
  inFlight.clear();
}

/** Runs `work` with `temp` counted as a temp file that may exist, until `work` has settled (it renames or removes it). */
export async function holdingTemp<T>(temp: string, work: () => Promise<T>): Promise<T> {
  if (!removedAtExit) {
    process.on('exit', removeLeftovers);
    removedAtExit = true;
  }
  inFlight.add(temp);
  try {
    return await work();
  } finally {
    inFlight.delete(temp);
  }
}

/** How many temp files may exist now (for tests). */
export function tempFilesInFlight(): number {
  return inFlight.size;
}

/** What filling a new temp file takes: a FileHandle, or a descriptor opened synchronously. */
export interface NewFile {
  chown(uid: number, gid: number): Promise<void>;
  chmod(mode: number): Promise<void>;
  write(data: Uint8Array, offset: number, length: number, position: number): Promise<{ readonly bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

const fchownFd = promisify(fchown);
const fchmodFd = promisify(fchmod);
const writeFd = promisify(write);
const fsyncFd = promisify(fsync);
const closeFd = promisify(close);

/** A descriptor's file, its calls made through libuv's pool as a FileHandle's are. */
function fileOfDescriptor(fd: number): NewFile {
  return {
    chown: (uid, gid) => fchownFd(fd, uid, gid),
    chmod: (mode) => fchmodFd(fd, mode),
    write: (data, offset, length, position) => writeFd(fd, data, offset, length, position),
    sync: () => fsyncFd(fd),
    close: () => closeFd(fd),
  };
}

const NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Creates the temp file `temp` (O_EXCL, O_NOFOLLOW), synchronously when `local` (see above). */
export async function createTempFile(temp: string, mode: number, local: boolean): Promise<NewFile> {
  if (local) return fileOfDescriptor(openSync(temp, NEW_FILE, mode));
  return open(temp, NEW_FILE, mode);
}

/** Creates the temp symlink `temp` to `target`, synchronously when `local` (see above). */
export async function createTempLink(temp: string, target: string, local: boolean): Promise<void> {
  if (local) symlinkSync(target, temp);
  else await symlink(target, temp);
}
