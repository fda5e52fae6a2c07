import { realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isEngineError, type EngineError } from '@converge/engine-api';
import { findPackageDir, isFile, isPathReference } from './package-lookup.js';
import { namedPluginNotInstalled, pluginFolderMissing, pluginsClaimOneKind } from './plugin-errors.js';
import { readPluginPackage, type PluginPackage } from './plugin-manifest.js';

/**
 * A plugin named on purpose (a graph's `plugins:`, `--plugin`): its package
 * when its package.json could be read, and what is wrong with it, if
 * anything. One with an error is a load error even when no kind needs it.
 */
export interface NamedPlugin {
  readonly reference: string;
  readonly pkg?: PluginPackage;
  readonly error?: EngineError;
  /** For two that declare one kind: the place of the first in the list (the error is the later one's). */
  readonly clashesWith?: number;
}

/** A named plugin whose package.json was read. */
type ReadPlugin = NamedPlugin & { readonly pkg: PluginPackage };

const isRead = (plugin: NamedPlugin): plugin is ReadPlugin => plugin.pkg !== undefined;

/**
 * Reads the plugins named on purpose, in the order they were named. Two of
 * them that declare one kind are refused (the later one carries the error):
 * which code runs must not depend on the order they happen to be listed in.
 * One folder named twice (by `plugins:` and by `--plugin`) is one plugin.
 */
export async function readNamedPlugins(references: readonly string[], searchDirs: readonly string[]): Promise<NamedPlugin[]> {
  const plugins = await Promise.all(references.map((reference) => readNamedPlugin(reference, searchDirs)));
  return plugins.map((plugin, index) => {
    if (plugin.error !== undefined || !isRead(plugin)) return plugin;
    for (let earlier = 0; earlier < index; earlier++) {
      const error = clash(plugins[earlier] as NamedPlugin, plugin);
      if (error !== undefined) return { ...plugin, error, clashesWith: earlier };
    }
    return plugin;
  });
}

/** The error when `earlier`, another package, declares one of `later`'s kinds. */
function clash(earlier: NamedPlugin, later: ReadPlugin): EngineError | undefined {
  if (!isRead(earlier) || earlier.pkg.dir === later.pkg.dir) return undefined;
  const shared = later.pkg.manifest.kinds.filter((kind) => earlier.pkg.manifest.kinds.includes(kind));
  return shared.length > 0 ? pluginsClaimOneKind(shared, earlier, later) : undefined;
}

async function readNamedPlugin(reference: string, searchDirs: readonly string[]): Promise<NamedPlugin> {
  try {
    return { reference, pkg: await readNamedPackage(reference, searchDirs) };
  } catch (error) {
    if (isEngineError(error)) return { reference, error };
    throw error;
  }
}

async function readNamedPackage(reference: string, searchDirs: readonly string[]): Promise<PluginPackage> {
  if (isPathReference(reference)) {
    const folder = resolve(process.cwd(), reference);
    const packageJsonPath = join(folder, 'package.json');
    if (!(await isFile(packageJsonPath))) throw pluginFolderMissing(reference, packageJsonPath);
    return readPluginPackage(await realpath(folder), reference);
  }
  const dir = await findPackageDir(reference, searchDirs);
  if (dir === undefined) throw namedPluginNotInstalled(reference, searchDirs);
  return readPluginPackage(dir, reference);
}
