import {
  isResourceDefinition,
  type AnyResourceDefinition,
  type EngineError,
  type PluginDefinition,
} from '@converge/engine-api';
import type { KindResolver, UnreadablePlugin } from './kind-resolver.js';
import { conventionalPackageName, isValidKindName } from './kind-naming.js';
import { closestNames } from '../graph/did-you-mean.js';
import { readNamedPlugins } from './named-plugins.js';
import { findPackageDir, listConventionalPackages, pluginSearchDirs } from './package-lookup.js';
import { kindPackageNotInstalled, pluginInvalid, unknownKind } from './plugin-errors.js';
import { importPlugin, kindFromPlugin } from './plugin-import.js';
import { readPluginPackage, type PluginPackage } from './plugin-manifest.js';

export interface KindResolverOptions {
  /** Folders plugins are looked up above, e.g. the graph's folder and the current directory. */
  readonly searchFrom: readonly string[];
  /**
   * Plugins named explicitly (a graph's `plugins:`, `--plugin`): package names,
   * or paths to package folders (absolute or relative to the current
   * directory). A kind they declare wins over the `@converge/res-*` convention;
   * two that declare the same kind are refused (see readNamedPlugins).
   */
  readonly plugins?: readonly string[];
  /**
   * Kinds that need no package, e.g. `noop`. They win over every plugin.
   * Typed loosely because definitions are invariant in their param types
   * (as in `definePlugin`): `[noopResource]` is not an AnyResourceDefinition[].
   */
  readonly builtins?: readonly { readonly $$type: '@converge/resource'; readonly kind: string }[];
}

/**
 * The kind registry. Lookups read package.json files only; a package found
 * by convention is imported the first time one of its kinds is resolved, a
 * plugin named on purpose when the named ones are first read (to check it
 * whole), each at most once.
 */
export function createKindResolver(options: KindResolverOptions): KindResolver {
  const builtins = new Map(
    (options.builtins ?? []).filter(isResourceDefinition).map((definition) => [definition.kind, definition]),
  );
  const searchDirs = memoize(() => pluginSearchDirs(options.searchFrom));
  const namedPlugins = memoize(async () => readNamedPlugins(options.plugins ?? [], await searchDirs(), importedPlugin));
  const conventionalPackages = new Map<string, Promise<PluginPackage | undefined>>();
  const importedPlugins = new Map<string, Promise<PluginDefinition>>();

  function conventionalPackage(name: string): Promise<PluginPackage | undefined> {
    let found = conventionalPackages.get(name);
    if (found === undefined) {
      found = searchDirs().then(async (dirs) => {
        const dir = await findPackageDir(name, dirs);
        return dir === undefined ? undefined : readPluginPackage(dir, name);
      });
      conventionalPackages.set(name, found);
    }
    return found;
  }

  /** Each package imported once, whatever asks for it. */
  function importedPlugin(pkg: PluginPackage): Promise<PluginDefinition> {
    let plugin = importedPlugins.get(pkg.dir);
    if (plugin === undefined) {
      plugin = importPlugin(pkg);
      importedPlugins.set(pkg.dir, plugin);
    }
    return plugin;
  }

  async function loadKind(pkg: PluginPackage, kind: string): Promise<AnyResourceDefinition> {
    return kindFromPlugin(pkg, await importedPlugin(pkg), kind);
  }

  async function knownKinds(): Promise<readonly string[]> {
    const kinds = new Set(builtins.keys());
    for (const named of await namedPlugins()) named.pkg?.manifest.kinds.forEach((kind) => kinds.add(kind));
    const installed = await listConventionalPackages(await searchDirs());
    const packages = await Promise.all(installed.map((name) => conventionalPackage(name).catch(() => undefined)));
    for (const pkg of packages) pkg?.manifest.kinds.forEach((kind) => kinds.add(kind));
    return [...kinds].sort();
  }

  async function resolveKind(kind: string): Promise<AnyResourceDefinition> {
    const named = await namedPlugins();
    const builtin = builtins.get(kind);
    if (builtin !== undefined) {
      // A plugin named on purpose that declares a built-in kind would be passed over without a word.
      const clash = named.find((plugin) => plugin.pkg?.manifest.kinds.includes(kind))?.pkg;
      if (clash !== undefined) {
        throw pluginInvalid(clash.name, `it declares kind '${kind}', which is built into converge`, 'give the kind a name of its own (by convention family:name, e.g. acme:motd)');
      }
      return builtin;
    }

    const providers = named.filter((plugin) => plugin.pkg?.manifest.kinds.includes(kind));
    // One that claims it with another (or is otherwise unusable) is told, not passed over for the other.
    const unusable = providers.find((plugin) => plugin.error !== undefined)?.error;
    if (unusable !== undefined) throw unusable;
    const provider = providers[0]?.pkg;
    if (provider !== undefined) return loadKind(provider, kind);
    // A named plugin that cannot be read or used might have been the one to
    // provide this kind, so falling back to the convention could pick the wrong one.
    const unreadable = named.find((plugin) => plugin.error !== undefined)?.error;
    if (unreadable !== undefined) throw unreadable;

    if (!isValidKindName(kind)) {
      throw unknownKind(kind, closestNames(kind, await knownKinds()), 'kind names are lower-case words joined by -, _ or :');
    }
    const packageName = conventionalPackageName(kind);
    const pkg = await conventionalPackage(packageName);
    if (pkg === undefined) {
      const suggestions = closestNames(kind, await knownKinds());
      if (suggestions.length > 0) throw unknownKind(kind, suggestions);
      throw kindPackageNotInstalled(kind, packageName, await knownKinds());
    }
    if (!pkg.manifest.kinds.includes(kind)) {
      throw unknownKind(kind, closestNames(kind, await knownKinds()), `${pkg.name} provides ${pkg.manifest.kinds.join(', ')}`);
    }
    return loadKind(pkg, kind);
  }

  async function unreadablePlugins(): Promise<readonly UnreadablePlugin[]> {
    return (await namedPlugins()).flatMap(({ error, clashesWith }, index) =>
      error === undefined ? [] : [{ index, error, ...(clashesWith === undefined ? {} : { alsoAbout: clashesWith }) }],
    );
  }

  return { resolve: resolveKind, knownKinds, unreadablePlugins };
}

/** Runs `compute` once, on first use, and shares its promise. */
function memoize<T>(compute: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= compute());
}
