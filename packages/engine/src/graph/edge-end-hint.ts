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
 * and may be the edge's other end.
 */
export function unknownEndHint(kind: string, name: string, nameParam: string | undefined, resources: Iterable<ResourceSpec>, ids: Iterable<string>): string {
  const wanted = comparable(name);
  const holders: string[] = [];
  for (const resource of resources) {
    if (resource.kind !== kind || nameParam === undefined) continue;
    // Left out, it defaults to the name.
    const value = resource.params[nameParam] ?? resource.name;
    if (typeof value === 'string' && comparable(value) === wanted) holders.push(`${resourceId(kind, resource.name)} (its ${nameParam} is ${value})`);
  }
  if (holders.length > 0) return `an edge names a resource by its name: did you mean ${holders.slice(0, 3).join(' or ')}?`;
  return didYouMean(resourceId(kind, name), ids) ?? 'define the resource under `resources:` or fix the edge';
}
