import { posix } from 'node:path';
import { lstatEntry } from './fs-state.js';
import { fsPath } from './paths.js';

/**
 * The first proper ancestor of `path` (from `/` down) that is a symlink no
 * file resource declares, or undefined. Components are lstat'ed one by one;
 * the walk stops at the first one that does not exist, since nothing below
 * it can be followed. Checked before every checkApply; it is not atomic with
 * the writes that follow (Node has no openat), which is why the writes
 * themselves also refuse to follow a symlink at the final component.
 */
export async function findUndeclaredParentSymlink(
  path: string,
  isDeclared: (path: string) => boolean,
): Promise<string | undefined> {
  const parts = fsPath(path).split('/').filter((part) => part !== '');
  let current = '/';
  for (const part of parts.slice(0, -1)) {
    current = posix.join(current, part);
    const entry = await lstatEntry(current);
    if (entry === undefined) return undefined;
    if (entry.kind === 'symlink' && !isDeclared(current)) return current;
  }
  return undefined;
}
