import { EngineError, type AnyResourceDefinition, type ReceivedValue } from '@converge/engine-api';
import { Value } from '@sinclair/typebox/value';

/**
 * Received values whose type was checked when the graph loaded, but not
 * their constraints (a minimum length, a pattern): those can only be known
 * now. The first received param that breaks its kind's schema, as the
 * error that fails the run; undefined when all fit. The value itself is
 * never quoted: it may be a secret.
 */
export function receivedProblem(
  id: string,
  definition: AnyResourceDefinition,
  params: Readonly<Record<string, unknown>>,
  received: ReadonlyMap<string, ReceivedValue>,
): EngineError | undefined {
  if (received.size === 0) return undefined;
  for (const error of Value.Errors(definition.params, params)) {
    const param = error.path.split('/')[1];
    if (param === undefined || !received.has(param)) continue;
    return new EngineError('ERR_PARAM_INVALID', `param '${param}' received a value that does not fit it: ${error.message.toLowerCase()}`, {
      resource: id,
      phase: 'checkApply',
      hint: `make the sender send a value that fits '${param}', or receive it into another param`,
    });
  }
  return undefined;
}
