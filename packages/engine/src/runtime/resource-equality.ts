import { isDeepStrictEqual } from 'node:util';
import type { AnyResourceDefinition } from '@converge/engine-api';

/** Whether two resources of `definition`'s kind want the same: by its `cmp` when it has one (a kind may ignore some params), else by every param. */
export function sameParams(definition: AnyResourceDefinition, a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  return definition.cmp ? definition.cmp(a, b) : isDeepStrictEqual(a, b);
}
