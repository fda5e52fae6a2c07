import { Kind, Type, type TSchema } from '@sinclair/typebox';

type Json = Record<string, unknown>;

const ANNOTATIONS = ['description', 'title', 'default', 'examples'] as const;
const STRING_KEYWORDS = ['minLength', 'maxLength', 'pattern', 'format'] as const;
const NUMBER_KEYWORDS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'] as const;
const ARRAY_KEYWORDS = ['minItems', 'maxItems', 'uniqueItems'] as const;

function pick(schema: Json, keys: readonly string[]): Json {
  const options: Json = {};
  for (const key of [...ANNOTATIONS, ...keys]) if (schema[key] !== undefined) options[key] = schema[key];
  return options;
}

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when `schema` was made with TypeBox (any copy: the tag is a registered symbol). */
export function isTypeBoxSchema(schema: unknown): schema is TSchema {
  return isJson(schema) && typeof (schema as Record<symbol, unknown>)[Kind] === 'string';
}

/**
 * Lets a plugin written without TypeBox describe its params as a plain JSON
 * Schema: the common keywords are rebuilt as the equivalent TypeBox schema,
 * so the engine checks, defaults and compares them the same way. Returns
 * undefined for a construct it does not know, which the loader reports.
 */
export function fromPlainSchema(schema: unknown): TSchema | undefined {
  if (isTypeBoxSchema(schema)) return schema;
  if (!isJson(schema)) return undefined;
  if (Array.isArray(schema.enum)) {
    const literals = schema.enum.filter((value) => ['string', 'number', 'boolean'].includes(typeof value)) as Array<string | number | boolean>;
    if (literals.length !== schema.enum.length) return undefined;
    return Type.Union(literals.map((value) => Type.Literal(value)), pick(schema, []));
  }
  if (schema.const !== undefined) {
    const value = schema.const;
    return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? Type.Literal(value, pick(schema, [])) : undefined;
  }
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives)) {
    const members = alternatives.map(fromPlainSchema);
    return members.every((member) => member !== undefined) ? Type.Union(members as TSchema[], pick(schema, [])) : undefined;
  }
  if (Array.isArray(schema.type)) {
    const members = schema.type.map((type) => fromPlainSchema({ ...schema, type }));
    return members.every((member) => member !== undefined) ? Type.Union(members as TSchema[]) : undefined;
  }
  switch (schema.type) {
    case 'string':
      return Type.String(pick(schema, STRING_KEYWORDS));
    case 'number':
      return Type.Number(pick(schema, NUMBER_KEYWORDS));
    case 'integer':
      return Type.Integer(pick(schema, NUMBER_KEYWORDS));
    case 'boolean':
      return Type.Boolean(pick(schema, []));
    case 'null':
      return Type.Null(pick(schema, []));
    case 'array': {
      const items = schema.items === undefined ? Type.Unknown() : fromPlainSchema(schema.items);
      return items ? Type.Array(items, pick(schema, ARRAY_KEYWORDS)) : undefined;
    }
    case 'object':
      return fromPlainObject(schema);
    case undefined:
      return Object.keys(schema).every((key) => (ANNOTATIONS as readonly string[]).includes(key)) ? Type.Unknown(pick(schema, [])) : undefined;
    default:
      return undefined;
  }
}

function fromPlainObject(schema: Json): TSchema | undefined {
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((key) => typeof key === 'string') : []);
  const properties: Record<string, TSchema> = {};
  for (const [key, value] of Object.entries(isJson(schema.properties) ? schema.properties : {})) {
    const property = fromPlainSchema(value);
    if (!property) return undefined;
    properties[key] = required.has(key) ? property : Type.Optional(property);
  }
  const options = pick(schema, []);
  if (schema.additionalProperties === false) options.additionalProperties = false;
  else if (isJson(schema.additionalProperties)) {
    const extra = fromPlainSchema(schema.additionalProperties);
    if (!extra) return undefined;
    if (Object.keys(properties).length === 0) return Type.Record(Type.String(), extra, options);
    options.additionalProperties = extra;
  }
  return Type.Object(properties, options);
}
