import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { isDeepStrictEqual } from 'node:util';
import { keywords, subSchemas } from './schema-describe.js';

type Keywords = Readonly<Record<string, unknown>>;

const TYPE_KEYWORDS = ['type', 'const', 'anyOf', 'allOf', 'enum', 'not', 'oneOf'];

/**
 * True when the type `from` sends fits the type of the param `to`, judged from
 * the two TypeBox (JSON) schemas alone, as mgmt checks send/recv types.
 *
 * Types are compared, value constraints are not: the receiver's minLength,
 * maxLength, pattern, format, minimum, maximum, multipleOf, minItems,
 * maxItems, uniqueItems, minProperties and maxProperties (at any depth) say
 * which values are fine, and a sent value is only known at run time, so
 * string → `string (length >= 1)` fits. Literals and enums are types here: a
 * plain string does not fit `'a' | 'b'`. The one exception is a sender whose
 * values are known now (a literal or an enum): each of them must meet the
 * receiver in full, constraints included.
 *
 * Conservative elsewhere: when unsure (key patterns of records, `not`,
 * `oneOf`, unusual keywords) it answers false unless the schemas are equal,
 * so a graph is refused at load time rather than failing at run time.
 */
export function isAssignable(from: TSchema, to: TSchema): boolean {
  return assignable(keywords(from), keywords(to), 0);
}

function assignable(from: Keywords, to: Keywords, depth: number): boolean {
  if (depth > 32) return false;
  if (isDeepStrictEqual(plain(from), plain(to))) return true;
  if (!TYPE_KEYWORDS.some((key) => key in to)) return true;
  if (!TYPE_KEYWORDS.some((key) => key in from)) return false;
  const next = depth + 1;
  const fromAnyOf = subSchemas(from.anyOf);
  if (fromAnyOf.length > 0) return fromAnyOf.every((member) => assignable(keywords(member), to, next));
  const toAnyOf = subSchemas(to.anyOf);
  if (toAnyOf.length > 0) return toAnyOf.some((member) => assignable(from, keywords(member), next));
  const fromAllOf = subSchemas(from.allOf);
  if (fromAllOf.length > 0) return fromAllOf.some((member) => assignable(keywords(member), to, next));
  const toAllOf = subSchemas(to.allOf);
  if (toAllOf.length > 0) return toAllOf.every((member) => assignable(from, keywords(member), next));
  if ('const' in from) return fits(to, [from.const]);
  if (Array.isArray(from.enum)) return fits(to, from.enum);
  if ('const' in to || 'enum' in to || 'enum' in from || 'not' in to || 'oneOf' in to || 'oneOf' in from) return false;
  if (!sameType(from.type, to.type)) return false;
  if (to.type === 'array') return arrayAssignable(from, to, next);
  if (to.type === 'object') return objectAssignable(from, to, next);
  return true;
}

function sameType(from: unknown, to: unknown): boolean {
  return from === to || (from === 'integer' && to === 'number');
}

/** Every one of the values a literal or enum sender can send meets the receiver's schema in full. */
function fits(to: Keywords, values: readonly unknown[]): boolean {
  try {
    return values.every((value) => Value.Check(to as unknown as TSchema, value));
  } catch {
    // A schema TypeBox cannot check on its own (e.g. an unresolved $ref): unsure, so no.
    return false;
  }
}

function arrayAssignable(from: Keywords, to: Keywords, depth: number): boolean {
  const fromTuple = Array.isArray(from.items) ? subSchemas(from.items) : undefined;
  if (Array.isArray(to.items)) {
    // A tuple receives only a tuple of the same length whose elements fit one by one.
    const toTuple = subSchemas(to.items);
    if (fromTuple === undefined || fromTuple.length !== toTuple.length) return false;
    if (to.additionalItems !== false && to.additionalItems !== undefined) return false;
    if (from.additionalItems !== false && to.additionalItems === false) return false;
    return toTuple.every((item, index) => assignable(keywords(fromTuple[index] as TSchema), keywords(item), depth));
  }
  if (to.items === undefined) return true;
  const toItems = keywords(to.items as TSchema);
  if (fromTuple !== undefined) {
    // A closed tuple fits a list when each of its elements fits the list's items.
    return from.additionalItems === false && fromTuple.every((item) => assignable(keywords(item), toItems, depth));
  }
  if (from.items === undefined) return false;
  return assignable(keywords(from.items as TSchema), toItems, depth);
}

function objectAssignable(from: Keywords, to: Keywords, depth: number): boolean {
  if (from.patternProperties !== undefined || to.patternProperties !== undefined) return recordAssignable(from, to, depth);
  const fromProps = (from.properties ?? {}) as Record<string, TSchema>;
  const toProps = (to.properties ?? {}) as Record<string, TSchema>;
  const fromRequired = new Set(Array.isArray(from.required) ? (from.required as string[]) : []);
  const toRequired = new Set(Array.isArray(to.required) ? (to.required as string[]) : []);
  for (const [key, toProp] of Object.entries(toProps)) {
    const fromProp = fromProps[key];
    if (fromProp === undefined) {
      // A key `from` does not declare could still hold anything, unless `from` is closed.
      if (toRequired.has(key) || from.additionalProperties !== false) return false;
      continue;
    }
    if (toRequired.has(key) && !fromRequired.has(key)) return false;
    if (!assignable(keywords(fromProp), keywords(toProp), depth)) return false;
  }
  if (to.additionalProperties === false) {
    if (from.additionalProperties !== false) return false;
    if (Object.keys(fromProps).some((key) => !(key in toProps))) return false;
  }
  return true;
}

/**
 * Records (pattern properties): the key patterns must be the same ones (they
 * are what tells a map of names from a map of numbers), and the values under
 * each must fit. Records mixed with declared properties only when equal.
 */
function recordAssignable(from: Keywords, to: Keywords, depth: number): boolean {
  const fromPatterns = from.patternProperties as Record<string, TSchema> | undefined;
  const toPatterns = to.patternProperties as Record<string, TSchema> | undefined;
  if (fromPatterns === undefined || toPatterns === undefined) return false;
  if (from.properties !== undefined || to.properties !== undefined) return false;
  const patterns = Object.keys(toPatterns);
  if (!isDeepStrictEqual(Object.keys(fromPatterns).sort(), [...patterns].sort())) return false;
  for (const pattern of patterns) {
    if (!assignable(keywords(fromPatterns[pattern] as TSchema), keywords(toPatterns[pattern] as TSchema), depth)) return false;
  }
  const toExtra = to.additionalProperties;
  if (toExtra === undefined || toExtra === true) return true;
  if (toExtra === false) return from.additionalProperties === false;
  return from.additionalProperties === false || isDeepStrictEqual(from.additionalProperties, toExtra);
}

/** The schema's JSON keywords only: TypeBox's symbol keys and descriptions do not change the type. */
function plain(schema: Keywords): unknown {
  const { description: _description, title: _title, default: _default, examples: _examples, ...rest } = schema;
  return JSON.parse(JSON.stringify(rest)) as unknown;
}
