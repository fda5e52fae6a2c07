import type { AnyResourceDefinition } from './resource.js';

/**
 * A plugin package's default export. It is recognised by its `$$type` tag,
 * not `instanceof`, so plugins built against another copy of this package
 * still load.
 */
export interface PluginDefinition {
  readonly $$type: '@converge/plugin';
  /** The package name, e.g. `@converge/res-file`. */
  readonly name: string;
  /** The kinds it provides, in the order they are listed. */
  readonly resources: readonly AnyResourceDefinition[];
}

/**
 * What a plugin package declares in its package.json under `converge`, read
 * before the package is imported:
 * `{"converge": {"kinds": ["file"], "engineApi": "^1.0.0"}}`.
 */
export interface PluginManifest {
  readonly kinds: readonly string[];
  readonly engineApi: string;
}

export function definePlugin(plugin: {
  readonly name: string;
  // Definitions are invariant in their param types; the loader only needs
  // them as schemas, so a plugin may list kinds with any params.
  readonly resources: readonly { readonly $$type: '@converge/resource'; readonly kind: string }[];
}): PluginDefinition {
  return Object.freeze({
    $$type: '@converge/plugin' as const,
    name: plugin.name,
    resources: Object.freeze([...plugin.resources]) as unknown as readonly AnyResourceDefinition[],
  });
}

export function isPluginDefinition(value: unknown): value is PluginDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { $$type?: unknown }).$$type === '@converge/plugin' &&
    Array.isArray((value as { resources?: unknown }).resources)
  );
}
