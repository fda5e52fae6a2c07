import { posix } from 'node:path';
import { managedPathsNamed } from './managed-paths.js';
import { realpathOf } from './symlink-guard.js';

/** The managed paths of one last part, by the real folder each leads to, as of one index of managed paths. */
interface ByRealFolder {
  readonly builtAt: number;
  readonly paths: Map<string, string[]>;
}

const byName = new Map<string, ByRealFolder>();

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
    const paths = new Map<string, string[]>();
    for (const each of named.paths) {
      const folder = posix.dirname(each);
      const real = (await realpathOf(folder)) ?? folder;
      const same = paths.get(real);
      if (same) same.push(each);
      else paths.set(real, [each]);
    }
    grouped = { builtAt: named.builtAt, paths };
    // Only the names asked about since the last index are kept.
    for (const [key, value] of byName) if (value.builtAt !== named.builtAt) byName.delete(key);
    byName.set(name, grouped);
  }
  return (grouped.paths.get(realFolder) ?? []).filter((other) => other !== path);
}
