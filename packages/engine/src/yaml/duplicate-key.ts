import { isMap, isScalar, visit, type Document, type Node, type Pair, type YAMLMap } from 'yaml';

/** A key written twice in one mapping, as the parser's "Map keys must be unique" finds it. */
export interface DuplicateKey {
  readonly key: string;
  /** Where the key was first written, in the text. */
  readonly firstOffset: number;
  /** The mapping that holds it twice. */
  readonly map: YAMLMap;
}

/**
 * Every key written again in its mapping, by the offset of the repeat (where
 * the parser says "Map keys must be unique"), with where it was first
 * written: the parser names neither. One walk of the document for all of them.
 */
export function duplicateKeys(doc: Document.Parsed): Map<number, DuplicateKey> {
  const found = new Map<number, DuplicateKey>();
  visit(doc, {
    Map(_, map) {
      const firsts = new Map<unknown, number>();
      for (const pair of map.items as Pair<Node | null, Node | null>[]) {
        const key = pair.key;
        if (!isScalar(key) || !key.range) continue;
        const first = firsts.get(key.value);
        if (first === undefined) firsts.set(key.value, key.range[0]);
        else found.set(key.range[0], { key: String(key.value), firstOffset: first, map });
      }
    },
  });
  return found;
}

/** Whether `map` is the graph's `resources:` mapping, where the keys are kinds. */
export function isResourcesMap(doc: Document.Parsed, map: YAMLMap): boolean {
  return isMap(doc.contents) && (doc.contents.get('resources', true) as unknown) === map;
}
