import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONVENTIONAL_PACKAGE_PREFIX, CONVENTIONAL_SCOPE } from './kind-naming.js';

/**
 * The `node_modules` folders plugins are looked up in, in order: those above
 * each `searchFrom` dir (the graph's folder, the current directory), those
 * above the engine's own install (so plugins installed next to the CLI are
 * found), NODE_PATH entries, then the global npm root. Only folders that
 * exist are kept, so error messages list real places.
 */
export async function pluginSearchDirs(searchFrom: readonly string[]): Promise<string[]> {
  const engineDir = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    ...searchFrom.flatMap((dir) => nodeModulesAbove(resolve(dir))),
    ...nodeModulesAbove(engineDir),
    ...(process.env['NODE_PATH'] ?? '').split(delimiter).filter((entry) => entry !== ''),
    resolve(dirname(process.execPath), '..', 'lib', 'node_modules'),
  ];
  const unique = [...new Set(candidates.map((dir) => resolve(dir)))];
  const present = await Promise.all(unique.map(async (dir) => ((await isDirectory(dir)) ? dir : undefined)));
  return present.filter((dir): dir is string => dir !== undefined);
}

/** Node's own walk: `<dir>/node_modules` for `dir` and each parent. */
function nodeModulesAbove(start: string): string[] {
  const dirs: string[] = [];
  for (let dir = start; ; dir = dirname(dir)) {
    // node_modules/node_modules is never a place Node looks in.
    if (basename(dir) !== 'node_modules') dirs.push(join(dir, 'node_modules'));
    if (dirname(dir) === dir) return dirs;
  }
}

/**
 * The real folder of package `name`: the first `<dir>/<name>/package.json`
 * among `searchDirs`. Reading the folder directly (rather than
 * `require.resolve('<name>/package.json')`) works even when the package's
 * `exports` map hides its package.json. Symlinks (npm workspaces) are
 * followed so that a package is cached and imported under one path.
 */
export async function findPackageDir(name: string, searchDirs: readonly string[]): Promise<string | undefined> {
  for (const dir of searchDirs) {
    const packageDir = join(dir, name);
    if (await isFile(join(packageDir, 'package.json'))) return realpath(packageDir);
  }
  return undefined;
}

/**
 * Names of the conventional plugin packages (`@converge/res-*`) installed in
 * any of `searchDirs`, for suggesting kinds without importing anything.
 */
export async function listConventionalPackages(searchDirs: readonly string[]): Promise<string[]> {
  const names = new Set<string>();
  const prefix = CONVENTIONAL_PACKAGE_PREFIX.slice(CONVENTIONAL_SCOPE.length + 1);
  for (const dir of searchDirs) {
    let entries: string[];
    try {
      entries = await readdir(join(dir, CONVENTIONAL_SCOPE));
    } catch {
      continue; // no @converge folder here
    }
    for (const entry of entries) {
      if (entry.startsWith(prefix)) names.add(`${CONVENTIONAL_SCOPE}/${entry}`);
    }
  }
  return [...names].sort();
}

/**
 * A plugin reference is a path when it could not be a package name: absolute,
 * starting with `.`, or holding a slash outside a `@scope/name` pair.
 */
export function isPathReference(reference: string): boolean {
  if (isAbsolute(reference) || reference.startsWith('.') || reference.includes('\\')) return true;
  const slashes = reference.split('/').length - 1;
  return reference.startsWith('@') ? slashes > 1 : slashes > 0;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
