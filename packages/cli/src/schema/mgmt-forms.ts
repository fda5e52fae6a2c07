import { isJsonObject, type JsonSchema, type JsonValue } from './json-schema.js';

/**
 * Values that mgmt's graphs write and that converge loads (most with a
 * warning) although YAML 1.2, which editors parse, gives them another type.
 * Each is an alternative marked deprecated, so an editor marks it and says
 * what to write, without calling a graph that runs an error.
 */

/**
 * yes, no, on, off, y, n in lower case, capitalised or in capitals, the
 * words of mgmt's YAML 1.1 reader (as the engine's yaml11-boolean.ts
 * matches them): text in YAML 1.2, a boolean to mgmt. `yEs` is text to both.
 */
export const YAML11_BOOLEAN: JsonSchema = {
  type: 'string',
  pattern: '^(?:[yY]|[yY]es|YES|[nN]|[nN]o|NO|[oO]n|ON|[oO]ff|OFF)$',
  deprecated: true,
  description: "mgmt's YAML 1.1 boolean: read as true or false, with a warning; write true or false",
};

/** A param or metaparam left empty (`timeout:`) or written null: mgmt's way to leave it unset. */
export const LEFT_EMPTY: JsonSchema = {
  type: 'null',
  deprecated: true,
  description: 'left empty: read as not set, with a warning; remove it, or give it a value',
};

/**
 * A name written as a number or true/false (`name: 8080`) is the text it is
 * written as, with a warning, as mgmt reads it. Blank text is refused.
 */
export function nameSchema(description: string): JsonSchema {
  return {
    description,
    anyOf: [
      { type: 'string', pattern: '\\S' },
      ...['number', 'boolean'].map((type) => ({ type, deprecated: true, description: 'read as the text it is written as, with a warning: quote it to say it is text' })),
    ],
  };
}

/**
 * Text that YAML 1.2 reads as a number only because it has a leading zero
 * (`0644`, `0o17`): converge keeps it as the text written, so where only
 * text is taken an editor sees a whole number that loads. Other numbers
 * there are refused by converge; the editor cannot tell them apart.
 */
export const LEADING_ZERO_TEXT: JsonSchema = {
  type: 'integer',
  minimum: 0,
  deprecated: true,
  description: 'text only when written with a leading zero (0644): quote it to say it is text',
};

/** Keys under which a schema describes the entries of a value (a list's items, a mapping's values). */
const ENTRY_KEYS = ['items', 'additionalProperties'] as const;
const ENTRY_MAPS = ['properties', 'patternProperties'] as const;

/**
 * The schema with YAML 1.1 booleans taken at every place inside it that
 * takes a boolean (`filesystem: [{read_only: yes}]`), as the engine reads
 * them there (its nested-booleans.ts): through a list's items, a mapping's
 * keys and a union's list or mapping, not a union of scalars (the engine
 * reads the word only where a boolean alone is taken), and not the
 * deprecated true/false that free text takes.
 */
function withNestedYaml11Booleans(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...schema };
  for (const key of ENTRY_KEYS) if (isJsonObject(out[key])) out[key] = withYaml11Boolean(out[key]);
  for (const key of ENTRY_MAPS) {
    const entries = out[key];
    if (isJsonObject(entries)) out[key] = Object.fromEntries(Object.entries(entries).map(([name, entry]) => [name, isJsonObject(entry) ? withYaml11Boolean(entry) : entry]));
  }
  const alternatives = out['anyOf'];
  if (Array.isArray(alternatives)) {
    out['anyOf'] = alternatives.map((member) => (isJsonObject(member) && (member['type'] === 'array' || member['type'] === 'object') ? withNestedYaml11Booleans(member) : member));
  }
  return out;
}

/** An entry's schema: a boolean also takes a YAML 1.1 boolean (its description outside, where an editor shows it); a list or mapping, inside it. */
function withYaml11Boolean(schema: JsonSchema): JsonSchema {
  if (schema['type'] !== 'boolean') return withNestedYaml11Booleans(schema);
  const { description, default: defaultValue, ...value } = schema;
  return {
    ...(description === undefined ? {} : { description }),
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
    anyOf: [value, YAML11_BOOLEAN],
  };
}

/**
 * A param or metaparam schema with the forms mgmt's graphs write for it
 * added: YAML 1.1 booleans where it takes a boolean, `null` when it may be
 * left unset (`nullable`), and any `extra` alternatives. The description
 * and default stay outside the alternatives, where an editor shows them.
 */
export function withMgmtForms(written: JsonSchema, nullable: boolean, extra: readonly JsonSchema[] = []): JsonSchema {
  const schema = withNestedYaml11Booleans(written);
  const added = [...(schema['type'] === 'boolean' ? [YAML11_BOOLEAN] : []), ...extra, ...(nullable ? [LEFT_EMPTY] : [])];
  if (added.length === 0) return schema;
  const { description, default: defaultValue, deprecated, ...value } = schema;
  const own = Object.keys(value).length === 1 && Array.isArray(value['anyOf']) ? value['anyOf'] : [value];
  const outside: { [key: string]: JsonValue } = {};
  if (description !== undefined) outside['description'] = description;
  if (defaultValue !== undefined) outside['default'] = defaultValue;
  if (deprecated !== undefined) outside['deprecated'] = deprecated;
  return { ...outside, anyOf: [...own, ...added] };
}
