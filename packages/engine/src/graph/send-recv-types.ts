import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { isDeepStrictEqual } from 'node:util';
import { keywords, subSchemas } from './schema-describe.js';

type Keywords = Readonly<Record<string, unknown>>;

const TYPE_KEYWORDS = ['type', 'const', 'anyOf', 'allOf', 'enum', 'not', 'oneOf'];
const LOWER_BOUNDS = ['minLength', 'minimum', 'exclusiveMinimum', 'minItems', 'minProperties'];
const UPPER_BOUNDS = ['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems', 'maxProperties'];
const EXACT = ['pattern', 'format', 'multipleOf'];

/**
 * True when every value `from` allows is also allowed by `to`, judged from
 * the two TypeBox (JSON) schemas alone. Conservative: when unsure (records,
 * tuples, unusual keywords) it answers false unless the schemas are equal,
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
  if ('const' in from) return Value.Check(to as unknown as TSchema, from.const);
  if ('const' in to || 'enum' in to || 'enum' in from || 'not' in to || 'oneOf' in to || 'oneOf' in from) return false;
  if (!sameType(from.type, to.type) || !constraintsImplied(from, to)) return false;
  if (to.type === 'array') return arrayAssignable(from, to, next);
  if (to.type === 'object') return objectAssignable(from, to, next);
  return true;
}

function sameType(from: unknown, to: unknown): boolean {
  return from === to || (from === 'integer' && to === 'number');
}

/** Every constraint `to` puts on a value is at least as strict in `from`. */
function constraintsImplied(from: Keywords, to: Keywords): boolean {
  const number = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
  for (const key of LOWER_BOUNDS) {
    if (to[key] === undefined) continue;
    const have = number(from[key]);
    if (have === undefined || have < (number(to[key]) ?? Number.POSITIVE_INFINITY)) return false;
  }
  for (const key of UPPER_BOUNDS) {
    if (to[key] === undefined) continue;
    const have = number(from[key]);
    if (have === undefined || have > (number(to[key]) ?? Number.NEGATIVE_INFINITY)) return false;
  }
  for (const key of EXACT) if (to[key] !== undefined && from[key] !== to[key]) return false;
  return !(to.uniqueItems === true && from.uniqueItems !== true);
}

function arrayAssignable(from: Keywords, to: Keywords, depth: number): boolean {
  // Tuples only when equal, which the deep-equality check above already allowed.
  if (Array.isArray(from.items) || Array.isArray(to.items)) return false;
  if (to.items === undefined) return true;
  if (from.items === undefined) return false;
  return assignable(keywords(from.items as TSchema), keywords(to.items as TSchema), depth);
}

function objectAssignable(from: Keywords, to: Keywords, depth: number): boolean {
  // Records (pattern properties) only when equal, as for tuples.
  if (from.patternProperties !== undefined || to.patternProperties !== undefined) return false;
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

/** The schema's JSON keywords only: TypeBox's symbol keys and descriptions do not change the type. */
function plain(schema: Keywords): unknown {
  const { description: _description, title: _title, default: _default, examples: _examples, ...rest } = schema;
  return JSON.parse(JSON.stringify(rest)) as unknown;
}
