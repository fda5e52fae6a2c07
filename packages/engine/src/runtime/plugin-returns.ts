import { EngineError, type AnyResourceDefinition, type ResourceInstance } from '@converge/engine-api';
import { isThenable, resourceError } from './resource-call.js';

type Instance = ResourceInstance<Record<string, unknown>, Record<string, unknown>>;

/**
 * What a plugin's method returned, by its type alone: the value itself may
 * be a secret (a password's text, a command's output), so it is never shown.
 */
export function returnedType(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'a list';
  if (isThenable(value)) return 'a promise';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

/** How an error of the engine says the plugin is at fault, not the graph: plain JS plugins are not type-checked against the contract. */
export function pluginBug(kind: string): string {
  return `a bug of the plugin that provides '${kind}'`;
}

/**
 * The instance `create` makes for resource `id`, or its throw as the
 * resource's init failure (engine-api: a throw from create fails the
 * resource like one from init). What is no instance (a forgotten `return`
 * in plain JS gives undefined) fails it the same way, rather than the
 * engine at the first call of a method.
 */
export function createInstance(definition: AnyResourceDefinition, params: Readonly<Record<string, unknown>>, id: string): Instance {
  let made: unknown;
  try {
    made = definition.create(params);
  } catch (error) {
    throw resourceError(id, 'init', error);
  }
  const isObject = (typeof made === 'object' && made !== null) || typeof made === 'function';
  if (isObject && typeof (made as Partial<Instance>).checkApply === 'function') return made as Instance;
  // An async create's promise, or a list, is no instance that lacks a method: it is no instance.
  const instanceLike = isObject && !isThenable(made) && !Array.isArray(made);
  const what = instanceLike ? 'an instance without checkApply' : `no instance (${returnedType(made)})`;
  throw new EngineError('ERR_RESOURCE_INIT', `create returned ${what}: ${pluginBug(definition.kind)}`, {
    resource: id,
    phase: 'init',
    hint: 'tell its authors: create must return an object with a checkApply method',
  });
}

/**
 * What checkApply returned, as converged (true) or changed (false). Anything
 * else fails the check: a plain JS plugin's "false" or {} would count as
 * converged, its undefined or 0 as changed.
 */
export function convergedOf(value: unknown, id: string, kind: string): boolean {
  if (typeof value === 'boolean') return value;
  throw new EngineError('ERR_RESOURCE_CHECK_APPLY', `checkApply returned ${returnedType(value)}, not true or false: ${pluginBug(kind)}`, {
    resource: id,
    phase: 'checkApply',
    hint: 'tell its authors: checkApply returns true when nothing needed changing, false when it changed something (or, in a dry run, would)',
  });
}

/** The resource a checkApply ran for, as its result is judged. */
export interface CheckedResource {
  readonly id: string;
  readonly kind: string;
  /** What a ctx.send of this check broke (see sendMisfit): it fails the check, whatever it returned. */
  sendMisfit?(): EngineError | undefined;
}

/** checkApply's result, a value or a promise of one, judged by verdictOf (a value stays a value: see callResourceNow). */
export function checkedResult(result: unknown, resource: CheckedResource): boolean | Promise<boolean> {
  return isThenable(result) ? Promise.resolve(result).then((value) => verdictOf(value, resource)) : verdictOf(result, resource);
}

function verdictOf(value: unknown, resource: CheckedResource): boolean {
  const misfit = resource.sendMisfit?.();
  if (misfit) throw misfit;
  return convergedOf(value, resource.id, resource.kind);
}
