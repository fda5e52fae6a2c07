import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { keywords, subSchemas } from './schema-describe.js';

/** Values of a schema's type, to try a kind's checks with before a real one is known. */
export interface TypeSamples {
  readonly values: readonly unknown[];
  /** Every value the type holds is among them (a literal, an enum, a boolean): what holds for them holds for all. */
  readonly exhaustive: boolean;
}

/**
 * Unlike one another on purpose (empty or not, a path or not, ending in /
 * or not, a number or not): a kind's check of the value (absolute, a whole
 * number, a directory) is met by some and missed by others, so it never
 * fails for all of them as a conflict between params does.
 */
const STRINGS = ['converge-sample', '/converge/sample', '/converge/sample/', '0', '0644', ''];
const INTEGERS = [0, 1, 644];
const NUMBERS = [0, 1, 0.5];
const MAX_DEPTH = 6;

/**
 * A few values of `schema`'s type, each checked against it (constraints
 * included): none when the schema is one they cannot meet (a format, a
 * pattern), so that nothing is judged from values the type never holds.
 */
export function typeSamples(schema: TSchema): TypeSamples {
  const { values, exhaustive } = candidates(keywords(schema), 0);
  const seen = new Set<string>();
  const fitting = values.filter((value) => {
    const key = JSON.stringify(value);
    if (seen.has(key) || !fits(schema, value)) return false;
    seen.add(key);
    return true;
  });
  // An exhaustive list that lost a value to the check no longer is one.
  return { values: fitting, exhaustive: exhaustive && fitting.length === values.length };
}

function fits(schema: TSchema, value: unknown): boolean {
  try {
    return Value.Check(schema, value);
  } catch {
    // A schema TypeBox cannot check on its own (an unknown format, a $ref): no sample is sure to be of its type.
    return false;
  }
}

function candidates(k: Readonly<Record<string, unknown>>, depth: number): { values: unknown[]; exhaustive: boolean } {
  if (depth > MAX_DEPTH) return { values: [], exhaustive: false };
  if ('const' in k) return { values: [k.const], exhaustive: true };
  if (Array.isArray(k.enum)) return { values: [...(k.enum as unknown[])], exhaustive: true };
  const union = [...subSchemas(k.anyOf), ...subSchemas(k.oneOf)];
  if (union.length > 0) {
    const members = union.map((member) => candidates(keywords(member), depth + 1));
    return { values: members.flatMap((member) => member.values), exhaustive: members.every((member) => member.exhaustive) };
  }
  // Each member's values, kept when they meet the whole (checked by the caller).
  const allOf = subSchemas(k.allOf);
  if (allOf.length > 0) return { values: allOf.flatMap((member) => candidates(keywords(member), depth + 1).values), exhaustive: false };
  switch (k.type) {
    case 'string':
      return { values: STRINGS, exhaustive: false };
    case 'integer':
      return { values: INTEGERS, exhaustive: false };
    case 'number':
      return { values: NUMBERS, exhaustive: false };
    case 'boolean':
      return { values: [false, true], exhaustive: true };
    case 'null':
      return { values: [null], exhaustive: true };
    case 'array':
      return { values: arrays(k, depth), exhaustive: false };
    case 'object':
      return { values: objects(k, depth), exhaustive: false };
    case undefined:
      // Any value at all (unknown): a few of each shape.
      return { values: ['converge-sample', '', 0, true, null], exhaustive: false };
    default:
      return { values: [], exhaustive: false };
  }
}

/** Empty, one entry, two entries; a tuple with its elements' samples side by side. */
function arrays(k: Readonly<Record<string, unknown>>, depth: number): unknown[] {
  if (Array.isArray(k.items)) {
    const elements = subSchemas(k.items).map((item) => candidates(keywords(item), depth + 1).values);
    const longest = Math.max(0, ...elements.map((values) => values.length));
    const tuples: unknown[] = [];
    for (let index = 0; index < longest; index += 1) tuples.push(elements.map((values) => values[index % Math.max(1, values.length)]));
    return tuples;
  }
  const items = k.items === undefined ? ['converge-sample', 0] : candidates(keywords(k.items as TSchema), depth + 1).values;
  return [[], ...items.map((item) => [item]), items.slice(0, 2)];
}

/** The required keys (and no others) filled with their samples, side by side; a record with none and with one entry. */
function objects(k: Readonly<Record<string, unknown>>, depth: number): unknown[] {
  const patterns = k.patternProperties as Record<string, TSchema> | undefined;
  if (patterns !== undefined) {
    const first = Object.values(patterns)[0];
    const values = first === undefined ? [] : candidates(keywords(first), depth + 1).values;
    return [{}, ...values.map((value) => ({ 'converge-sample': value }))];
  }
  const properties = (k.properties ?? {}) as Record<string, TSchema>;
  const required = Array.isArray(k.required) ? (k.required as string[]) : [];
  const columns = required.map((key) => [key, properties[key] ? candidates(keywords(properties[key]), depth + 1).values : []] as const);
  const rows = Math.max(1, ...columns.map(([, values]) => values.length));
  const objects: unknown[] = [];
  for (let row = 0; row < rows; row += 1) {
    objects.push(Object.fromEntries(columns.map(([key, values]) => [key, values[row % Math.max(1, values.length)]])));
  }
  return objects;
}
