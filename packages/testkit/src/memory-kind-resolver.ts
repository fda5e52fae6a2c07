import { EngineError, type AnyResourceDefinition } from '@converge/engine-api';
import type { KindResolver } from '@converge/engine';

/**
 * Resolves kinds from definitions handed over directly, without looking for
 * or importing any plugin package, so a test runs exactly the code it names.
 */
export function memoryKindResolver(definitions: readonly AnyResourceDefinition[]): KindResolver {
  const byKind = new Map<string, AnyResourceDefinition>();
  for (const definition of definitions) {
    if (byKind.has(definition.kind)) {
      throw new Error(`startTestEngine: kind '${definition.kind}' is given twice (built-in kinds are always included)`);
    }
    byKind.set(definition.kind, definition);
  }
  return {
    async resolve(kind) {
      const definition = byKind.get(kind);
      if (definition) return definition;
      throw new EngineError('ERR_UNKNOWN_KIND', `unknown kind '${kind}'`, {
        phase: 'load',
        hint: `pass its definition in startTestEngine's resources (known here: ${[...byKind.keys()].join(', ')})`,
      });
    },
    async knownKinds() {
      return [...byKind.keys()];
    },
  };
}
