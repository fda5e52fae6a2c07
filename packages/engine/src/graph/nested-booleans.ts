import { yaml11Boolean } from './yaml11-boolean.js';

/** Deeper than any param schema goes (as the parser's own walks). */
const MAX_NESTING = 8;

/** A YAML 1.1 boolean word inside a param, where its schema takes a boolean. */
export interface NestedYaml11Boolean {
  /** The param, then keys and list indexes down to the word. */
  readonly path: readonly string[];
  readonly written: string;
  readonly truth: boolean;
}

type SchemaNode = {
  type?: unknown;
  anyOf?: unknown;
  items?: unknown;
  properties?: unknown;
  patternProperties?: unknown;
  additionalProperties?: unknown;
};

/**
 * The YAML 1.1 boolean words (`yes`, `off`…) in a param's lists and
 * mappings at the places its schema takes a boolean (`filesystem:
 * [{read_only: yes}]`): mgmt's reader takes them as booleans at any depth,
 * as it does a param's own. The same care as for a param: only where the
 * schema there is a boolean (a text key keeps the word), and not a word
 * written in quotes (`quoted`, by path: text to mgmt too). The param's own
 * value is left to the caller.
 */
export function nestedYaml11Booleans(schema: unknown, value: unknown, param: string, quoted: ReadonlySet<string> | undefined): NestedYaml11Boolean[] {
  const found: NestedYaml11Boolean[] = [];
  const walk = (node: unknown, at: unknown, path: string[]): void => {
    if (path.length > MAX_NESTING || node === null || typeof node !== 'object') return;
    if (path.length > 1 && typeof at === 'string' && (node as SchemaNode).type === 'boolean' && !quoted?.has(path.join('/'))) {
      const truth = yaml11Boolean(at);
      if (truth !== undefined) found.push({ path, written: at, truth });
      return;
    }
    if (Array.isArray(at)) {
      const items = ofShape(node, 'array')?.items;
      at.forEach((entry, index) => walk(items, entry, [...path, String(index)]));
    } else if (at !== null && typeof at === 'object') {
      const object = ofShape(node, 'object');
      if (object) for (const [key, entry] of Object.entries(at)) walk(entrySchema(object, key), entry, [...path, key]);
    }
  };
  walk(schema, value, [param]);
  return found;
}

/** The schema itself when it is of that shape, or its union's member of that shape (as schema-paths picks one). */
function ofShape(node: unknown, shape: 'array' | 'object'): SchemaNode | undefined {
  const schema = node as SchemaNode;
  if (schema.type === shape) return schema;
  return Array.isArray(schema.anyOf) ? (schema.anyOf as SchemaNode[]).find((member) => member?.type === shape) : undefined;
}

/** The schema of a mapping's key: its own property, else the pattern it matches (a record's), else additionalProperties. */
function entrySchema(object: SchemaNode, key: string): unknown {
  const properties = object.properties as Record<string, unknown> | undefined;
  if (properties && Object.hasOwn(properties, key)) return properties[key];
  const patterns = object.patternProperties as Record<string, unknown> | undefined;
  for (const [pattern, schema] of Object.entries(patterns ?? {})) if (matches(pattern, key)) return schema;
  return object.additionalProperties;
}

/** As the schema check reads a pattern; one it cannot read matches nothing here (the check says what is wrong with it). */
function matches(pattern: string, key: string): boolean {
  try {
    return new RegExp(pattern).test(key);
  } catch {
    return false;
  }
}
