import type { AnyResourceDefinition, EngineError } from '@converge/engine-api';

/**
 * Turns a kind written in a graph into its definition, loading the plugin
 * package that provides it on first use. Only kinds a graph uses are loaded.
 */
export interface KindResolver {
  /**
   * The definition of `kind`. Throws an EngineError: ERR_UNKNOWN_KIND (no
   * installed plugin provides it, with a "did you mean"),
   * ERR_PLUGIN_NOT_INSTALLED (says what to install), ERR_PLUGIN_INCOMPATIBLE,
   * ERR_PLUGIN_LOAD_FAILED (with the cause) or ERR_PLUGIN_INVALID.
   */
  resolve(kind: string): Promise<AnyResourceDefinition>;
  /** Kinds that can be named without loading anything, for suggestions. */
  knownKinds(): Promise<readonly string[]>;
  /**
   * The plugins named on purpose (a graph's `plugins:`, then `--plugin`)
   * that cannot be read or used (not installed, incompatible, crashed while
   * loading, kinds that disagree with their package.json, a kind another
   * of them declares too), by their place in that list: a load error even
   * when no kind needs them, since the graph asked for them by name.
   */
  unreadablePlugins?(): Promise<readonly UnreadablePlugin[]>;
}

export interface UnreadablePlugin {
  /** Its place in the list of plugins named on purpose. */
  readonly index: number;
  readonly error: EngineError;
  /** The place of another plugin the error is about too (one that declares the same kind), told there when this one's place is not in the graph file. */
  readonly alsoAbout?: number;
}
