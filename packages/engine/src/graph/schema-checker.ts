import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';

/**
 * How a kind's params schema is applied to each resource of a graph: its
 * defaults filled in, then a yes/no check. Prepared once per schema: with
 * 10,000 resources, walking the schema for every one of them (defaults and
 * the full error list) was a third of the load. The error list is made
 * only for params that fail the check.
 */
export interface SchemaChecker {
  /** The params with the schema's defaults filled in (the same object when the schema has none). */
  withDefaults(params: Record<string, unknown>): Record<string, unknown>;
  check(params: unknown): boolean;
}

const checkers = new WeakMap<TSchema, SchemaChecker>();

export function schemaChecker(schema: TSchema): SchemaChecker {
  let checker = checkers.get(schema);
  if (!checker) {
    checker = makeChecker(schema);
    checkers.set(schema, checker);
  }
  return checker;
}

function makeChecker(schema: TSchema): SchemaChecker {
  const defaults = hasDefaults(schema);
  const withDefaults = (params: Record<string, unknown>): Record<string, unknown> =>
    defaults ? (Value.Default(schema, params) as Record<string, unknown>) : params;
  try {
    const compiled = TypeCompiler.Compile(schema);
    return { withDefaults, check: (params) => compiled.Check(params) };
  } catch {
    // A schema the compiler does not take (a plugin's own kind of type): checked by walking it, as before.
    return { withDefaults, check: (params) => Value.Check(schema, params) };
  }
}

/** True when a `default` is set anywhere in the schema (nested objects and arrays included). */
function hasDefaults(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  if (Array.isArray(schema)) return schema.some(hasDefaults);
  return Object.entries(schema).some(([key, value]) => key === 'default' || hasDefaults(value));
}
