import { posix } from 'node:path';

/** `//`, or a `.` or `..` segment: what posix.normalize would change in an absolute path. */
const UNNORMALIZED = /\/\/|\/\.{1,2}(?:\/|$)/;

/** Collapses `//`, `.` and `..` as written (no link is read); a directory keeps (or gets) its trailing slash. */
export function normalizePath(path: string, isDir = path.endsWith('/')): string {
  // Most paths are already clean: skipping normalize matters with 10,000 files (autoedges).
  const clean = path.startsWith('/') && !UNNORMALIZED.test(path) ? path : posix.normalize(path);
  const bare = clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
  return isDir && bare !== '/' ? `${bare}/` : bare;
}
