import type { SourceLocation } from '@converge/engine-api';
import { isMap, isSeq, type Node, type YAMLMap } from 'yaml';
import { isForbiddenKey } from './yaml-safety.js';
import { entriesOf, type ShapeContext } from './yaml-shape.js';
import { locationOf } from './yaml-source.js';

/** Deeper than any param schema goes: what lies below is told at the deepest location kept. */
const MAX_NESTING = 8;

/**
 * Where each entry inside a param is written, keyed by its path below the
 * resource (`env/PATH`, `disk/0/source`, as a schema error's path names it),
 * so that an error inside a param points at its own line rather than at
 * the param's. An alias is not followed: its errors point at the alias.
 * `keys` gets where each key of a mapping inside a param is written, by the
 * same paths: a key the kind does not know is told there, as its value may
 * start on a later line.
 */
export function addNestedLocations(
  ctx: ShapeContext,
  prefix: string,
  node: Node | null,
  into: Map<string, SourceLocation>,
  keys: Map<string, SourceLocation>,
  depth = 0,
): void {
  if (node === null || depth >= MAX_NESTING) return;
  if (isMap(node)) {
    for (const entry of entriesOf(ctx, node as YAMLMap)) {
      if (isForbiddenKey(entry.key)) continue;
      const path = `${prefix}/${entry.key}`;
      into.set(path, entry.valueLocation);
      keys.set(path, entry.keyLocation);
      addNestedLocations(ctx, path, entry.value, into, keys, depth + 1);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      const path = `${prefix}/${index}`;
      into.set(path, locationOf(ctx.source, item as Node));
      addNestedLocations(ctx, path, item as Node | null, into, keys, depth + 1);
    });
  }
}
