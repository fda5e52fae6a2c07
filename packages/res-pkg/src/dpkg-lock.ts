import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** A process holding a lock on one of the files asked about. */
export interface LockHolder {
  readonly path: string;
  /** Undefined for an open file description lock (OFD: /proc/locks gives no process). */
  readonly pid: number | undefined;
  /** The process's name (`/proc/PID/comm`), when it could be read. */
  readonly command: string | undefined;
}

/** Linux's major and minor numbers of a device number (glibc's gnu_dev_major / gnu_dev_minor). */
function majorMinor(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/**
 * The processes holding a lock (POSIX, flock or OFD, as apt and dpkg take
 * them with fcntl) on any of `paths`, from /proc/locks: its lines give the
 * locked file as `major:minor:inode`, the device in hex
 * (`1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF`); a process waiting for
 * a lock (`->`) does not hold it. Empty when none of the files exists.
 */
export async function lockHolders(paths: readonly string[]): Promise<LockHolder[]> {
  const files = new Map<string, string>();
  for (const path of paths) {
    const found = await stat(path, { bigint: true }).catch(() => undefined);
    if (found) files.set(`${majorMinor(found.dev)}:${found.ino}`, path);
  }
  if (files.size === 0) return [];
  const locks = await readFile('/proc/locks', 'utf8').catch(() => '');
  const holders: LockHolder[] = [];
  for (const line of locks.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === '->') continue;
    const at = fields.findIndex((field) => /^[0-9a-f]+:[0-9a-f]+:\d+$/i.test(field));
    if (at < 1) continue;
    const [major = '', minor = '', inode = ''] = (fields[at] as string).split(':');
    const path = files.get(`${parseInt(major, 16)}:${parseInt(minor, 16)}:${inode}`);
    if (path === undefined) continue;
    const pid = Number(fields[at - 1]);
    const known = Number.isInteger(pid) && pid > 0 ? pid : undefined;
    holders.push({ path, pid: known, command: known === undefined ? undefined : await commandOf(known) });
  }
  return holders;
}

/** Whether a process holds a lock on dpkg's lock files. */
export async function dpkgLockHeld(dpkgDir: string): Promise<boolean> {
  return (await lockHolders([join(dpkgDir, 'lock'), join(dpkgDir, 'lock-frontend')])).length > 0;
}

/** A process's name (`/proc/PID/comm`), or undefined once it is gone. */
export async function commandOf(pid: number): Promise<string | undefined> {
  return (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => undefined))?.trim();
}

/** The parent of a process (`/proc/PID/stat`: the field after the name in parentheses and the state), or undefined. */
export async function parentOf(pid: number): Promise<number | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  const parent = Number(text?.slice(text.lastIndexOf(')') + 1).trim().split(/\s+/)[1]);
  return Number.isInteger(parent) && parent > 0 ? parent : undefined;
}
