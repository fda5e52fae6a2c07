import { posix } from 'node:path';
import { managedExcept, managedPathsNamed, takeOverOf, takingOverExcept, type ManagedOwner, type TakeOver } from './managed-paths.js';
import { fsPath, isAncestor } from './paths.js';
import { resolvedFromNearest } from './nearest-real.js';
import { realpathOf } from './symlink-guard.js';

/** The managed paths of one last part, by the real folder each leads to, as of one index of managed paths. */
interface ByRealFolder {
  readonly builtAt: number;
  /** Shared by the checks that ask while it is made: 2,000 checks at once made it 2,000 times (QA). */
  readonly paths: Promise<Map<string, string[]>>;
}

const byName = new Map<string, ByRealFolder>();

async function groupByRealFolder(paths: readonly string[]): Promise<Map<string, string[]>> {
  const grouped = new Map<string, string[]>();
  for (const each of paths) {
    const real = await realPathOf(posix.dirname(each));
    const same = grouped.get(real);
    if (same) same.push(each);
    else grouped.set(real, [each]);
  }
  return grouped;
}

/**
 * The other managed paths that lead to `realFolder`/`name` through links of
 * their own (`l1/f` and `l2/f`, both links to `real/`), found from the
 * managed paths of that last part grouped by the real folder each leads to:
 * grouped once per index of managed paths (see managedPathsNamed), so each
 * check asks one question, not one per same-named resource. A link changed
 * since is seen when the index is next rebuilt (within a second).
 */
export async function otherPathsToSameFile(path: string, realFolder: string): Promise<string[]> {
  const name = posix.basename(path);
  const named = managedPathsNamed(name);
  if (named.paths.length < 2) return [];
  let grouped = byName.get(name);
  if (grouped === undefined || grouped.builtAt !== named.builtAt) {
    grouped = { builtAt: named.builtAt, paths: groupByRealFolder(named.paths) };
    // Only the names asked about since the last index are kept.
    for (const [key, value] of byName) if (value.builtAt !== named.builtAt) byName.delete(key);
    byName.set(name, grouped);
  }
  return ((await grouped.paths).get(realFolder) ?? []).filter((other) => other !== path);
}

/**
 * A path as its links lead, the part not made yet kept as written: the
 * nearest folder that exists is resolved (QA: `l2/app/f` with `app` not made
 * yet was taken as written, and a clash through links went unseen until a
 * copy had written over the file). From the symlink guard's memo: it runs
 * at every check.
 */
export async function realPathOf(path: string): Promise<string> {
  return (await resolvedFromNearest(path, realpathOf)) ?? path;
}

/**
 * A live resource other than `self` whose folder holds `real` (a real path)
 * and that purges it or copies a source folder into it, spelled with links
 * or not (QA: a copy through `l1/` and a file through `l2/`, both links to
 * `real/`, fought). Only resources that may do so are looked at.
 */
export async function takenOverAbove(real: string, written: string, self: ManagedOwner): Promise<{ readonly path: string; readonly how: TakeOver } | undefined> {
  for (const file of takingOverExcept(self)) {
    const how = takeOverOf(file);
    if (how === undefined) continue;
    const path = fsPath(file.path);
    // Above it as written: the copy or purge knows it, and leaves it (QA: both through one link were refused).
    if (isAncestor(path, written)) continue;
    if (isAncestor(path, real) || isAncestor(await realPathOf(path), real)) return { path: file.path, how };
  }
  return undefined;
}

/**
 * The path of a live resource other than `self` that manages something
 * below `real` (a real path), spelled with links or not; asked only of a
 * resource that purges or copies into a folder through a link.
 */
export async function managedBelowReal(real: string, written: string, self: ManagedOwner): Promise<string | undefined> {
  for (const file of managedExcept(self)) {
    const path = fsPath(file.path);
    // Below it as written: this copy or purge knows it, and leaves it.
    if (isAncestor(written, path)) continue;
    if (isAncestor(real, path) || isAncestor(real, await realPathOf(path))) return file.path;
  }
  return undefined;
}
