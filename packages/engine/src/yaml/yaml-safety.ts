import { isAlias, isCollection, isScalar, visit, type Node } from 'yaml';
import { locationOf, report, type YamlSource } from './yaml-source.js';

/** Deeper nesting than this is refused: no graph needs it, and it guards the stack. */
export const MAX_DEPTH = 64;
/**
 * Most values aliases may expand to in one document: a guard against
 * "billion laughs" documents. The document as written is already bounded by
 * the file size limit.
 */
export const MAX_ALIAS_EXPANSION = 100_000;
/** Most alias uses per document. */
export const MAX_ALIASES = 100_000;

/** Keys that would reach an object's prototype when the graph is turned into objects. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const CORE_TAGS: ReadonlySet<string> = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((name) => `tag:yaml.org,2002:${name}`),
);

/**
 * Checks the document as written (aliases not expanded): only the YAML core
 * schema's tags, no keys that reach prototypes, no absurd nesting. Returns
 * false when the document is too deep to read further safely.
 */
export function checkDocumentSafety(source: YamlSource): boolean {
  let readable = true;
  visit(source.doc, {
    Node(_key, node, path) {
      // The path alternates collections and pairs, so halve it for the nesting depth.
      if (isCollection(node) && path.length / 2 > MAX_DEPTH) {
        report(source, 'ERR_YAML_SYNTAX', `nesting deeper than ${MAX_DEPTH} levels`, locationOf(source, node), 'flatten the value: a graph needs only a few levels');
        readable = false;
        return visit.BREAK;
      }
      checkTag(source, node);
      return undefined;
    },
    Pair(_key, pair) {
      if (isScalar(pair.key) && typeof pair.key.value === 'string' && FORBIDDEN_KEYS.has(pair.key.value)) {
        report(
          source,
          'ERR_GRAPH_SHAPE',
          `the key '${pair.key.value}' is not allowed`,
          locationOf(source, pair.key),
          'rename the key: it is reserved because it would reach object prototypes',
        );
      }
    },
  });
  return readable;
}

function checkTag(source: YamlSource, node: Node): void {
  if (isAlias(node) || node.tag === undefined || CORE_TAGS.has(node.tag)) return;
  report(
    source,
    'ERR_YAML_SYNTAX',
    `the tag '${node.tag}' is not allowed`,
    locationOf(source, node),
    'graph files use only the YAML core schema (strings, numbers, booleans, null, lists, mappings); remove the tag',
  );
}

export function isForbiddenKey(key: unknown): boolean {
  return typeof key === 'string' && FORBIDDEN_KEYS.has(key);
}
