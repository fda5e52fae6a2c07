import type { AnyResourceDefinition } from '@converge/engine-api';
import { Value } from '@sinclair/typebox/value';

/**
 * Turns a case's params into what the engine would hand `create`: the name
 * param filled from the resource's name, schema defaults applied (on a
 * copy), then checked by type and by the kind's own `validate`. Throws one
 * Error listing every problem, so a broken case says all that is wrong at once.
 */
export function prepareCaseParams(
  definition: AnyResourceDefinition,
  name: string,
  params: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const filled: Record<string, unknown> = structuredClone({ ...params });
  if (definition.nameParam !== undefined && filled[definition.nameParam] === undefined) {
    filled[definition.nameParam] = name;
  }
  const withDefaults = Value.Default(definition.params, filled) as Record<string, unknown>;

  const problems: string[] = [];
  // A closed schema reports unknown params itself; an open one gets the same check here.
  if (definition.params.additionalProperties !== false) {
    const known = new Set(Object.keys(definition.params.properties));
    for (const key of Object.keys(withDefaults)) {
      if (!known.has(key)) problems.push(`${key}: unknown param (known: ${[...known].join(', ')})`);
    }
  }
  for (const error of Value.Errors(definition.params, withDefaults)) {
    problems.push(`${error.path.replace(/^\//, '') || '(params)'}: ${error.message}`);
  }
  if (problems.length === 0 && definition.validate) {
    try {
      for (const issue of definition.validate(withDefaults, name) ?? []) {
        // A warning loads, as in the engine (a param that does nothing where it stands).
        if (issue.severity === 'warning') continue;
        problems.push(`${issue.param ?? '(params)'}: ${issue.message}${issue.hint ? ` (hint: ${issue.hint})` : ''}`);
      }
    } catch (error) {
      problems.push(`validate threw: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`${definition.kind}[${name}]: invalid params:\n  - ${problems.join('\n  - ')}`);
  }
  return withDefaults;
}
