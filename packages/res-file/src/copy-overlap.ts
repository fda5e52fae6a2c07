import { realpath } from 'node:fs/promises';
import { isMissingPath } from './errors.js';
import { resolvedFromNearest } from './nearest-real.js';
import { fsPath, isAncestor } from './paths.js';

/**
 * Where `path` really leads: its realpath, or, while it (or a parent) is
 * missing, the realpath of its nearest existing ancestor with the missing
 * names put back. Other errors (a loop of links) are thrown.
 */
async function realLocation(path: string): Promise<string> {
  const real = await resolvedFromNearest(fsPath(path), (current) =>
    realpath(current).catch((error: unknown) => {
      if (isMissingPath(error)) return undefined;
      throw error;
    }),
  );
  return real ?? fsPath(path);
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
