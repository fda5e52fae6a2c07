import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Whether a process holds a POSIX lock on dpkg's lock files (as listed in /proc/locks, by inode). */
export async function dpkgLockHeld(dpkgDir: string): Promise<boolean> {
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
