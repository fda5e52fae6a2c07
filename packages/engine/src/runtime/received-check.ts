import { EngineError, type AnyResourceDefinition, type ReceivedValue } from '@converge/engine-api';
import { schemaChecker } from '../graph/schema-checker.js';
import { Value } from '@sinclair/typebox/value';
import { runValidate } from '../graph/param-check.js';
import { redactedError } from './redacted-error.js';
import { LiteralSet } from './literal-set.js';

/**
 * Received values whose type was checked when the graph loaded, but not
 * their constraints (a minimum length, a pattern): those can only be known
 * now, nor the kind's own checks of params that go together. The first
 * received param that breaks its kind's schema, or the first issue its
 * validate finds, as the error that fails the run; undefined when all fit.
 * A schema message never quotes the value (it may be a secret); validate
 * messages are masked like every error of the resource.
 */
export function receivedProblem(
  id: string,
  name: string,
  definition: AnyResourceDefinition,
  params: Readonly<Record<string, unknown>>,
  received: ReadonlyMap<string, ReceivedValue>,
): EngineError | undefined {
  if (received.size === 0) return undefined;
  const fits = schemaChecker(definition.params).check(params);
  for (const error of fits ? [] : Value.Errors(definition.params, params)) {
    const param = error.path.split('/')[1];
    if (param === undefined || !received.has(param)) continue;
    return new EngineError('ERR_PARAM_INVALID', `param '${param}' received a value that does not fit it: ${lowerFirst(error.message)}`, {
      resource: id,
      phase: 'checkApply',
      hint: `make the sender send a value that fits '${param}', or receive it into another param`,
    });
  }
  // The kind's own checks (content on a directory, content with state: absent…) with the values in.
  // A warning loaded with the graph: with the values in, it still only warns (told at load), never fails the run.
  const issue = runValidate(definition, params, name).find((found) => found.severity !== 'warning');
  if (issue === undefined) return undefined;
  const problem = new EngineError('ERR_PARAM_INVALID', `with the values received (${[...received.keys()].join(', ')}): ${issue.param ? `param '${issue.param}': ` : ''}${issue.message}`, {
    resource: id,
    phase: 'checkApply',
    hint: issue.hint ?? 'receive the value into a resource whose other params allow it',
  });
  return withReceivedValuesHidden(problem, params, received);
}

/**
 * TypeBox's message ("Expected string to match '^[A-Z]+$'") as the rest of
 * ours begin, in lower case: only its first letter, as it quotes the
 * schema's pattern or literal, which must read as the kind wrote it.
 */
function lowerFirst(message: string): string {
  return message.charAt(0).toLowerCase() + message.slice(1);
}

const MIN_HIDDEN_LENGTH = 3;

/**
 * The error with every received value it quotes replaced by the name of the
 * param that received it: a value sent by another resource (a command's
 * output, a file read) may be a secret no schema calls one, and a message
 * like `no such user: <param user, received>` says enough.
 */
export function withReceivedValuesHidden(
  error: EngineError,
  params: Readonly<Record<string, unknown>>,
  received: ReadonlyMap<string, ReceivedValue>,
): EngineError {
  if (received.size === 0) return error;
  // Shorter strings (and numbers) would garble the message more than they
  // could reveal wherever they stand; they are hidden where a message
  // quotes them ("ab", "" as a user name).
  const byValue = new Map<string, { readonly param: string; readonly quoted: boolean }>();
  for (const param of received.keys()) {
    const value = params[param];
    if (typeof value !== 'string') continue;
    const quoted = value.length < MIN_HIDDEN_LENGTH;
    const key = quoted ? JSON.stringify(value) : value;
    if (!byValue.has(key)) byValue.set(key, { param, quoted });
    // As a message quotes it with JSON's escapes: a command's output ends
    // with a newline, quoted as \n (QA: `owner "TOKEN-abc123\n" is not a
    // user name` showed what a command printed).
    const escaped = JSON.stringify(value).slice(1, -1);
    if (!quoted && escaped !== value && !byValue.has(escaped)) byValue.set(escaped, { param, quoted });
  }
  if (byValue.size === 0) return error;
  const values = new LiteralSet(byValue.keys());
  const hide = (text: string): string =>
    values.replace(text, (value) => {
      const hidden = byValue.get(value);
      const shown = `<param ${hidden?.param ?? '?'}, received>`;
      return hidden?.quoted ? `"${shown}"` : shown;
    });
  return redactedError(error, hide);
}
