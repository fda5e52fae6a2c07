import { posix } from 'node:path';
import { normalizePath } from '@converge/system-paths';

/** The path without a trailing slash: the name the file system knows it by. */
export function fsPath(path: string): string {
  return normalizePath(path, false);
}

/** True when `ancestor` is a proper ancestor directory of `path` (both without trailing slash). */
export function isAncestor(ancestor: string, path: string): boolean {
  if (ancestor === path) return false;
  return path.startsWith(ancestor === '/' ? '/' : `${ancestor}/`);
}

/**
 * Every proper ancestor of `path`, nearest first, each with a trailing slash:
 * `/a/b/c` → `/a/b/`, `/a/`, `/`. Lazy, since an autoedge search usually
 * stops at the parent; the dirname of a normalized path needs no normalizing.
 */
export function* ancestorDirs(path: string): Generator<string> {
  let current = fsPath(path);
  while (current !== '/') {
    current = posix.dirname(current);
    yield current === '/' ? '/' : `${current}/`;
  }
}

/** True when the path is absolute and names nothing through `.` or `..`. */
export function isCleanAbsolute(path: string): boolean {
  if (!path.startsWith('/') || path.includes('\0')) return false;
  return !path.split('/').some((segment) => segment === '.' || segment === '..');
}

/**
 * A path as shown in a message: control characters (a newline in a file
 * name) escaped, so that a name cannot break a line of the output and pass
 * for another line (`failed: ...`).
 */
export function shownPath(path: string): string {
  return path.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
