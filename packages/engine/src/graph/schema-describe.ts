import type { TSchema } from '@sinclair/typebox';

/** A JSON schema read as a plain record of keywords. */
export function keywords(schema: TSchema): Readonly<Record<string, unknown>> {
  return schema as unknown as Record<string, unknown>;
}

export function subSchemas(value: unknown): TSchema[] {
  return Array.isArray(value) ? (value as TSchema[]) : [];
}

const BOUNDS: ReadonlyArray<readonly [string, string]> = [
  ['minimum', '>='],
  ['exclusiveMinimum', '>'],
  ['maximum', '<='],
  ['exclusiveMaximum', '<'],
];

/** A TypeBox schema in a few words for error messages: `integer >= 0`, `one of 'a', 'b'`. */
export function describeSchema(schema: TSchema, depth = 0): string {
  const k = keywords(schema);
  if (depth > 3) return 'value';
  if ('const' in k) return JSON.stringify(k.const) ?? String(k.const);
  const anyOf = subSchemas(k.anyOf);
  if (anyOf.length > 0) {
    const literals = anyOf.filter((member) => 'const' in keywords(member));
    if (literals.length === anyOf.length) return `one of ${literals.map((member) => describeSchema(member, depth + 1)).join(', ')}`;
    return anyOf.map((member) => describeSchema(member, depth + 1)).join(' or ');
  }
  const allOf = subSchemas(k.allOf);
  if (allOf.length > 0) return allOf.map((member) => describeSchema(member, depth + 1)).join(' and ');
  switch (k.type) {
    case 'string':
      return withConstraints('string', k, [
        ['minLength', 'length >='],
        ['maxLength', 'length <='],
        ['pattern', 'matching'],
        ['format', 'format'],
      ]);
    case 'number':
    case 'integer':
      return withConstraints(k.type === 'integer' ? 'whole number' : 'number', k, BOUNDS);
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'array':
      return Array.isArray(k.items)
        ? `list of [${subSchemas(k.items).map((item) => describeSchema(item, depth + 1)).join(', ')}]`
        : `list of ${k.items ? describeSchema(k.items as TSchema, depth + 1) : 'values'}`;
    case 'object': {
      const keys = Object.keys((k.properties as object | undefined) ?? {});
      return keys.length > 0 ? `mapping with keys ${keys.join(', ')}` : 'mapping';
    }
    default:
      return 'any value';
  }
}

function withConstraints(base: string, k: Readonly<Record<string, unknown>>, names: ReadonlyArray<readonly [string, string]>): string {
  const parts = names.filter(([name]) => k[name] !== undefined).map(([name, words]) => `${words} ${String(k[name])}`);
  return parts.length > 0 ? `${base} (${parts.join(', ')})` : base;
}

/**
 * A value in a few characters for error messages. A mapping or a list is
 * told by its shape, not its contents: they may hold secrets (a token in an
 * environment), and the entry that does not fit is told on its own.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    const shown = keys.slice(0, 5).join(', ');
    return keys.length === 0 ? 'an empty mapping' : `a mapping (${shown}${keys.length > 5 ? ', …' : ''})`;
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
