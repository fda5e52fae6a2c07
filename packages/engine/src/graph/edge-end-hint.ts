import { posix } from 'node:path';
import { didYouMean } from './did-you-mean.js';
import { resourceId, type ResourceSpec } from './spec.js';

/** A path as the file system reads it (`/a//b/./c/` is `/a/b/c`); what is not an absolute path, as written. */
function comparable(text: string): string {
  return text.startsWith('/') ? posix.normalize(text).replace(/(?<=.)\/+$/, '') : text;
}

/**
 * What to write instead of an edge end that names no resource. An edge names
 * a resource by its `name`; users often write what it manages instead (a
 * file's path, a package): a resource of that kind whose `nameParam` (the
 * param that defaults to the name) holds the name written is offered first,
 * then the nearest names. Other params are not looked at: a resource that
 * only reads the path (a copy's source, an exec's cwd) is not the one meant,
 * and may be the edge's other end. Then a resource of that name under
 * another kind, then the nearest ids.
 */
export function unknownEndHint(kind: string, name: string, nameParam: string | undefined, resources: Iterable<ResourceSpec>, ids: Iterable<string>): string {
  const wanted = comparable(name);
  const holders: string[] = [];
  const otherKinds: ResourceSpec[] = [];
  for (const resource of resources) {
    // The name under another kind (QA: exec[web-server] for noop[web-server] got the generic hint, nop[a] a "did you mean").
    if (resource.kind !== kind && comparable(resource.name) === wanted) otherKinds.push(resource);
    if (resource.kind !== kind || nameParam === undefined) continue;
    // Left out, it defaults to the name.
    const value = resource.params[nameParam] ?? resource.name;
    if (typeof value === 'string' && comparable(value) === wanted) holders.push(`${resourceId(kind, resource.name)} (its ${nameParam} is ${value})`);
  }
  if (holders.length > 0) return `an edge names a resource by its name: did you mean ${holders.slice(0, 3).join(' or ')}?`;
  if (otherKinds.length > 0) return otherKindHint(kind, name, otherKinds.slice(0, 3));
  return didYouMean(resourceId(kind, name), ids) ?? 'define the resource under `resources:` or fix the edge';
}

/** `did you mean 'noop[web]'? (the resource named 'web' is of kind 'noop', not 'exec')`. */
function otherKindHint(kind: string, name: string, resources: readonly ResourceSpec[]): string {
  const ids = resources.map((resource) => `'${resourceId(resource.kind, resource.name)}'`).join(' or ');
  const kinds = resources.map((resource) => `'${resource.kind}'`).join(', ');
  const which = resources.length === 1 ? `the resource named '${name}' is of kind` : `the resources named '${name}' are of kinds`;
  return `did you mean ${ids}? (${which} ${kinds}, not '${kind}')`;
}
