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
