import { realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import { isMissingPath } from './errors.js';
import { fsPath, isAncestor } from './paths.js';

/**
 * Where `path` really leads: its realpath, or, while it (or a parent) is
 * missing, the realpath of its nearest existing ancestor with the missing
 * names put back.
 */
async function realLocation(path: string): Promise<string> {
  const missing: string[] = [];
  let current = fsPath(path);
  for (;;) {
    try {
      return posix.join(await realpath(current), ...missing.reverse());
    } catch (error) {
      if (!isMissingPath(error) || current === '/') throw error;
      missing.push(posix.basename(current));
      current = posix.dirname(current);
    }
  }
}

/**
 * Why copying the directory `source` into the directory `path` would feed
 * on itself once symlinks are followed, or undefined when the two are
 * apart. Validation refuses the overlap as the paths are written; this is
 * the same check on the real paths, made before each copy: a source that
 * reaches into the path through a symlink would be purged or overwritten
 * by its own copy, and a path inside its source would copy itself level
 * after level.
 */
export async function copyOverlapProblem(source: string, path: string): Promise<string | undefined> {
  const [realSource, realPath] = await Promise.all([realLocation(source), realLocation(path)]);
  const seen = `(source ${fsPath(source)} is really ${realSource}, path ${fsPath(path)} is really ${realPath})`;
  if (realSource === realPath) return `source and path are the same directory ${seen}: there is nothing to copy`;
  if (isAncestor(realPath, realSource)) return `the source is inside the path ${seen}: the copy would overwrite (with purge, delete) its own source`;
  if (isAncestor(realSource, realPath)) return `the path is inside its source ${seen}: the copy would copy itself, level after level`;
  return undefined;
}
