import { didYouMean } from './did-you-mean.js';
import { resourceId, type ResourceSpec } from './spec.js';

/** A path with its trailing slashes left out (`/srv/app/` and `/srv/app` name one folder). */
function bare(text: string): string {
  return text.length > 1 ? text.replace(/\/+$/, '') : text;
}

/**
 * What to write instead of an edge end that names no resource. An edge names
 * a resource by its `name`; users often write what it manages instead (a
 * file's path, a package), so a resource of that kind whose param holds the
 * name written is offered first, then the nearest names.
 */
export function unknownEndHint(kind: string, name: string, resources: Iterable<ResourceSpec>, ids: Iterable<string>): string {
  const wanted = bare(name);
  const holders: string[] = [];
  for (const resource of resources) {
    if (resource.kind !== kind) continue;
    const param = Object.entries(resource.params).find(([, value]) => typeof value === 'string' && bare(value) === wanted)?.[0];
    if (param !== undefined) holders.push(`${resourceId(kind, resource.name)} (its ${param} is ${name})`);
  }
  if (holders.length > 0) return `an edge names a resource by its name: did you mean ${holders.slice(0, 3).join(' or ')}?`;
  return didYouMean(resourceId(kind, name), ids) ?? 'define the resource under `resources:` or fix the edge';
}
