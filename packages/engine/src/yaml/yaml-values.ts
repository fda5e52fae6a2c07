import { isAlias, isMap, isScalar, isSeq, type Node } from 'yaml';
import { isForbiddenKey, MAX_ALIASES, MAX_DEPTH, MAX_ALIAS_EXPANSION } from './yaml-safety.js';
import { locationOf, report, type YamlSource } from './yaml-source.js';

/**
 * Turns YAML nodes into plain values (strings, numbers, booleans, null,
 * arrays, objects), expanding aliases under a budget so that a small file
 * cannot expand into a huge one. Problems go to the source; a node that
 * cannot be read becomes null.
 */
export class PlainValueReader {
  private expanded = 0;
  private aliases = 0;
  private exhausted = false;

  /** Unknown aliases already reported. */
  private readonly toldAliases = new Set<Node>();

  constructor(private readonly source: YamlSource) {}

  /** Follows an alias to the node it names; reports unknown aliases. */
  deref(node: Node | null | undefined): Node | null | undefined {
    if (!isAlias(node)) return node;
    if (!this.spendAlias(node)) return null;
    const target = node.resolve(this.source.doc);
    if (target === undefined) {
      // A value is read more than once (its type, then its value): its unknown alias is told once.
      if (this.toldAliases.has(node)) return null;
      this.toldAliases.add(node);
      report(this.source, 'ERR_YAML_SYNTAX', `unknown alias '*${node.source}'`, locationOf(this.source, node),
        `define the anchor '&${node.source}' before using it`);
      return null;
    }
    return target;
  }

  /**
   * `alias` is the outermost alias being expanded, if any: nodes reached
   * through it count against the expansion budget, and it is where an
   * expansion that is too large gets reported.
   */
  read(node: Node | null | undefined, depth = 0, alias?: Node): unknown {
    if (this.exhausted) return null;
    if (alias) this.expanded += 1;
    if (this.expanded > MAX_ALIAS_EXPANSION || depth > MAX_DEPTH) {
      this.exhaust(
        alias ?? node,
        depth > MAX_DEPTH ? `nesting deeper than ${MAX_DEPTH} levels once aliases are expanded` : `aliases expand to more than ${MAX_ALIAS_EXPANSION} values`,
      );
      return null;
    }
    const target = this.deref(node);
    if (target === null || target === undefined) return null;
    const origin = alias ?? (isAlias(node) ? node : undefined);
    // Other scalar values (binary, dates) only come from tags the safety check refused.
    // -0 is 0, as the fast path (js-yaml) reads it: no param tells the two apart.
    if (isScalar(target)) return isPlainScalar(target.value) ? (Object.is(target.value, -0) ? 0 : target.value) : null;
    if (isSeq(target)) return target.items.map((item) => this.read(item as Node | null, depth + 1, origin));
    if (isMap(target)) {
      const result: Record<string, unknown> = {};
      const merges: Node[] = [];
      for (const pair of target.items) {
        if (this.isMergeKey(pair.key as Node | null)) {
          merges.push(...this.mergedMaps(pair.value as Node | null));
          continue;
        }
        const key = this.key(pair.key as Node | null);
        if (key === undefined || isForbiddenKey(key)) continue;
        result[key] = this.read(pair.value as Node | null, depth + 1, origin);
      }
      // Keys written in the mapping win over merged ones; an earlier merged mapping wins over a later one.
      for (const merged of merges) {
        const values = this.read(merged, depth + 1, origin);
        if (typeof values !== 'object' || values === null) continue;
        for (const [key, value] of Object.entries(values)) if (!(key in result)) result[key] = value;
      }
      return result;
    }
    return null;
  }

  /** A YAML merge key: a plain (unquoted) `<<`, as YAML 1.1 and mgmt's YAML library read it. */
  isMergeKey(node: Node | null | undefined): boolean {
    return isScalar(node) && node.value === '<<' && node.type === 'PLAIN';
  }

  /**
   * The mappings a merge key's value names: one mapping (usually an alias),
   * or a list of them. Anything else is reported.
   */
  mergedMaps(node: Node | null | undefined): Node[] {
    const target = this.deref(node);
    // An alias that names nothing was reported as such: "takes a mapping" would be a second message for one mistake.
    if (target === null && isAlias(node)) return [];
    if (isMap(target)) return [target];
    if (isSeq(target)) {
      const items = target.items.map((item) => ({ item: item as Node | null, target: this.deref(item as Node | null) }));
      if (items.every((entry) => isMap(entry.target))) return items.map((entry) => entry.target as Node);
      if (items.some((entry) => entry.target === null && isAlias(entry.item))) return [];
    }
    report(this.source, 'ERR_GRAPH_SHAPE', 'a merge key (<<) takes a mapping, or a list of mappings', locationOf(this.source, node ?? null), 'merge an anchored mapping: `<<: *defaults`');
    return [];
  }

  /** A mapping key as a string; numbers and booleans are spelled as written. */
  key(node: Node | null | undefined): string | undefined {
    const target = this.deref(node);
    if (isScalar(target) && target.value !== null && isPlainScalar(target.value)) {
      return typeof target.value === 'string' ? target.value : String(target.source ?? target.value);
    }
    report(this.source, 'ERR_GRAPH_SHAPE', 'mapping keys must be plain strings', locationOf(this.source, node ?? null), 'write the key as a plain word, not a list, mapping or null');
    return undefined;
  }

  private spendAlias(node: Node): boolean {
    if (this.exhausted) return false;
    this.aliases += 1;
    if (this.aliases <= MAX_ALIASES) return true;
    this.exhaust(node, `more than ${MAX_ALIASES} alias uses`);
    return false;
  }

  private exhaust(node: Node | null | undefined, why: string): void {
    this.exhausted = true;
    report(this.source, 'ERR_YAML_SYNTAX', `the document is too large: ${why}`, locationOf(this.source, node ?? null),
      'write the graph out without deeply nested or repeated aliases');
  }

  get isExhausted(): boolean {
    return this.exhausted;
  }
}

function isPlainScalar(value: unknown): value is string | number | boolean | null {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
