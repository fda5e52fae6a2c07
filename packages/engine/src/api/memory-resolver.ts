import { EngineError, type AnyResourceDefinition } from '@converge/engine-api';
import { builtinResources } from '../builtin/noop.js';
import type { KindResolver } from '../loader/kind-resolver.js';
import { didYouMean } from '../graph/did-you-mean.js';

/**
 * A KindResolver over definitions already in memory (a graph built in code
 * imports its plugins itself), plus the built-in kinds. Two different
 * definitions that claim one kind make that kind fail to resolve.
 */
export function memoryKindResolver(definitions: Iterable<AnyResourceDefinition>): KindResolver {
  const byKind = new Map<string, AnyResourceDefinition>();
  const clashes = new Set<string>();
  for (const definition of [...(builtinResources as readonly unknown[] as AnyResourceDefinition[]), ...definitions]) {
    const known = byKind.get(definition.kind);
    if (known && known !== definition) clashes.add(definition.kind);
    else byKind.set(definition.kind, definition);
  }
  return {
    resolve(kind) {
      if (clashes.has(kind)) {
        throw new EngineError('ERR_PLUGIN_INVALID', `two different definitions of kind '${kind}' are used in one graph`, {
          phase: 'load',
          hint: 'import the kind from one package only (two copies of a plugin may be installed)',
        });
      }
      const definition = byKind.get(kind);
      if (definition) return Promise.resolve(definition);
      const suggestion = didYouMean(kind, byKind.keys());
      throw new EngineError('ERR_UNKNOWN_KIND', `unknown kind '${kind}'`, {
        phase: 'load',
        hint: suggestion ?? 'pass the kind\'s definition to graph().resource()',
      });
    },
    knownKinds: () => Promise.resolve([...byKind.keys()]),
  };
}
