import { statSync } from 'node:fs';

/**
 * What a file is now, as far as a change goes: which file a path leads to
 * (device and inode, through symlinks), its size and its change times. A
 * save, a rename over it or a symlink pointed elsewhere gives another
 * version. Undefined when it cannot be read.
 */
export function fileVersion(path: string): string | undefined {
  try {
    const stats = statSync(path, { bigint: true });
    return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
  } catch {
    return undefined;
  }
}
