import { realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isEngineError, isResourceDefinition, type EngineError, type PluginDefinition } from '@converge/engine-api';
import { findPackageDir, isFile, isPathReference } from './package-lookup.js';
import { kindUndeclared, namedPluginNotInstalled, pluginFolderMissing, pluginsClaimOneKind } from './plugin-errors.js';
import { kindFromPlugin } from './plugin-import.js';
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
 * Each is then imported with `load` and checked whole, whether or not a
 * kind of it is used: one that is incompatible, crashes, or whose code and
 * package.json disagree on its kinds would otherwise be passed over, and a
 * graph or schema made without what was asked for by name.
 */
export async function readNamedPlugins(
  references: readonly string[],
  searchDirs: readonly string[],
  load: (pkg: PluginPackage) => Promise<PluginDefinition>,
): Promise<NamedPlugin[]> {
  const plugins = await Promise.all(references.map((reference) => readNamedPlugin(reference, searchDirs)));
  const unclashed = plugins.map((plugin, index) => {
    if (plugin.error !== undefined || !isRead(plugin)) return plugin;
    for (let earlier = 0; earlier < index; earlier++) {
      const error = clash(plugins[earlier] as NamedPlugin, plugin);
      if (error !== undefined) return { ...plugin, error, clashesWith: earlier };
    }
    return plugin;
  });
  return Promise.all(unclashed.map((plugin) => (plugin.error === undefined && isRead(plugin) ? checked(plugin, load) : plugin)));
}

/** The plugin, or with the error that makes it unusable: not loadable, or its kinds not the ones it declares. */
async function checked(plugin: ReadPlugin, load: (pkg: PluginPackage) => Promise<PluginDefinition>): Promise<NamedPlugin> {
  try {
    const definition = await load(plugin.pkg);
    const declared = plugin.pkg.manifest.kinds;
    const undeclared = definition.resources.find((resource) => isResourceDefinition(resource) && !declared.includes(resource.kind));
    if (undeclared !== undefined) throw kindUndeclared(plugin.pkg, undeclared.kind);
    // Each declared kind is in the code, with params the engine can read.
    for (const kind of declared) kindFromPlugin(plugin.pkg, definition, kind);
    return plugin;
  } catch (error) {
    if (isEngineError(error)) return { ...plugin, error };
    throw error;
  }
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
