import { EngineError, type AnyResourceDefinition } from '@converge/engine-api';
import type { TSchema } from '@sinclair/typebox';
import { schemaChecker } from '../graph/schema-checker.js';
import { describeSchema } from '../graph/schema-describe.js';
import { pluginBug, returnedType } from './plugin-returns.js';

/**
 * What a `ctx.send` breaks of its kind's declared sends, as the sender's
 * error: each key the kind does not declare, each value that does not fit
 * its key's schema. Only the graph's edges were type-checked when it
 * loaded; a plain-JS plugin can send anything, and a receiver blamed for
 * it (QA: "param 'content' received a value that does not fit it") points
 * at the wrong resource. Keys and types only, never a value: a send may be
 * a secret no schema calls one (a command's output). Undefined when all fit.
 */
export function sendMisfit(definition: AnyResourceDefinition, values: Readonly<Record<string, unknown>>, id: string): EngineError | undefined {
  const declared = (definition.sends?.properties ?? {}) as Readonly<Record<string, TSchema>>;
  const problems: string[] = [];
  for (const key of Object.keys(values)) {
    const schema = Object.hasOwn(declared, key) ? declared[key] : undefined;
    if (schema === undefined) problems.push(`key '${key}' is not one of its sends`);
    else if (!schemaChecker(schema).check(values[key])) problems.push(`key '${key}' was sent ${returnedType(values[key])} that does not fit it (expected ${describeSchema(schema)})`);
  }
  if (problems.length === 0) return undefined;
  const keys = Object.keys(declared);
  return new EngineError('ERR_RESOURCE_CHECK_APPLY', `ctx.send broke the sends its kind declares: ${problems.join('; ')}: ${pluginBug(definition.kind)}`, {
    resource: id,
    phase: 'checkApply',
    hint: `tell its authors: it may send ${keys.length > 0 ? keys.map((key) => `'${key}'`).join(', ') : 'nothing'}, each a value that fits its schema; nothing of this send was passed on`,
  });
}
