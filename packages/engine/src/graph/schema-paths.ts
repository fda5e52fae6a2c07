import type { TSchema } from '@sinclair/typebox';

/** A schema error's path (`/env/PATH`, JSON Pointer) as segments: `['env', 'PATH']`. */
export function pathSegments(pointer: string): string[] {
  return pointer.split('/').slice(1).map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The member of a union of the value's own shape (list or mapping), if the union has one. */
export function unionMemberOfShape(union: TSchema, value: object): TSchema | undefined {
  const shape = Array.isArray(value) ? 'array' : 'object';
  return ((union as { anyOf?: TSchema[] }).anyOf ?? []).find((candidate) => (candidate as { type?: unknown }).type === shape);
}
