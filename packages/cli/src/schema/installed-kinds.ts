import { builtinResources, createKindResolver } from '@converge/engine';
import { isEngineError, type AnyResourceDefinition, type EngineError } from '@converge/engine-api';

export interface InstalledKinds {
  /** The kinds that loaded, sorted by kind. */
  readonly definitions: readonly AnyResourceDefinition[];
  /** Kinds that are declared but could not be loaded, with why. */
  readonly skipped: readonly { readonly kind: string; readonly reason: string }[];
  /** Plugins named with --plugin that cannot be read or used. */
  readonly unreadable: readonly EngineError[];
}

/**
 * Every kind a graph could use from here: the built-ins, the installed
 * `@converge/res-*` packages (found the way `converge run` finds them) and
 * the plugins named with --plugin. Each is loaded to read its params; one
 * that fails to load is skipped, not fatal, so a broken plugin does not cost
 * the editor every other kind. A plugin named with --plugin that cannot be
 * read or used (incompatible, crashed, kinds that disagree with its
 * package.json) is told apart: it was asked for by name.
 */
export async function installedKinds(plugins: readonly string[], searchFrom: readonly string[]): Promise<InstalledKinds> {
  const resolver = createKindResolver({ searchFrom, plugins, builtins: builtinResources });
  const unreadable = ((await resolver.unreadablePlugins?.()) ?? []).map((plugin) => plugin.error);
  if (unreadable.length > 0) return { definitions: [], skipped: [], unreadable };
  const definitions: AnyResourceDefinition[] = [];
  const skipped: { kind: string; reason: string }[] = [];
  for (const kind of await resolver.knownKinds()) {
    try {
      definitions.push(await resolver.resolve(kind));
    } catch (error) {
      if (!isEngineError(error)) throw error;
      skipped.push({ kind, reason: error.message });
    }
  }
  return { definitions, skipped, unreadable };
}
