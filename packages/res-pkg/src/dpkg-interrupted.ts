import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DPKG_DIR } from './dpkg-files.js';

/**
 * True when a dpkg run was cut short and nobody is running dpkg now: its
 * journal (`updates/`, files named by number) holds entries no run has
 * folded into the status file yet, and no process holds dpkg's locks. The
 * package database cannot be trusted then (PackageKit may call an
 * installed package available), and every change fails until `dpkg
 * --configure -a` is run; apt tells it the same way. While dpkg runs, its
 * journal is not empty either: that is not an interruption, and the check
 * waits for the lock as any package manager does.
 */
export async function dpkgInterrupted(dpkgDir = DPKG_DIR): Promise<boolean> {
  const journal = await readdir(join(dpkgDir, 'updates')).catch(() => [] as string[]);
  if (!journal.some((name) => /^\d+$/.test(name))) return false;
  return !(await dpkgLockHeld(dpkgDir));
}

/** Whether a process holds a POSIX lock on dpkg's lock files (as listed in /proc/locks, by inode). */
async function dpkgLockHeld(dpkgDir: string): Promise<boolean> {
  const inodes = new Set<string>();
  for (const name of ['lock', 'lock-frontend']) {
    const found = await stat(join(dpkgDir, name)).catch(() => undefined);
    if (found) inodes.add(String(found.ino));
  }
  if (inodes.size === 0) return false;
  // A line: `1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF` (pid, then major:minor:inode).
  const locks = await readFile('/proc/locks', 'utf8').catch(() => '');
  return locks.split('\n').some((line) => {
    const device = line.split(/\s+/).find((field) => /^[0-9a-f]+:[0-9a-f]+:\d+$/i.test(field));
    return device !== undefined && inodes.has(device.split(':')[2] as string);
  });
}
