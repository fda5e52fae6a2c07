import type { GraphResource, GraphValidationIssue, KindResource } from '@converge/engine-api';
import { imageOnEngine, normalizeImageRef } from './image-ref.js';
import type { ContainerParams, ImageParams } from './params.js';

/**
 * `docker:image` resources with `state: absent` whose image a container of
 * the graph runs or keeps (`running` or `stopped`, on the same engine): the
 * image is removed, and the container can then never be created again, or
 * the removal is refused while the container holds it. Each run would undo
 * the other's work (or fail) for ever; found here, the graph is refused
 * before anything runs. Told at the image's state. References are compared
 * as Docker reads them (`busybox` is `docker.io/library/busybox:latest`).
 */
export function imagesRemovedUnderContainers(images: readonly KindResource<ImageParams>[], graph: readonly GraphResource[] = []): GraphValidationIssue[] {
  if (!images.some((image) => image.params.state === 'absent')) return [];
  const users = new Map<string, string[]>();
  for (const resource of graph) {
    if (resource.kind !== 'docker:container') continue;
    const params = resource.params as Readonly<ContainerParams>;
    // A container being removed goes first (its autoedge is reversed): its image may go after it.
    if (params.state === 'removed') continue;
    const key = imageOnEngine(params.image, params.host);
    const named = users.get(key);
    if (named) named.push(`docker:container[${resource.name}]`);
    else users.set(key, [`docker:container[${resource.name}]`]);
  }
  const issues: GraphValidationIssue[] = [];
  images.forEach(({ name, params }, index) => {
    if (params.state !== 'absent') return;
    const containers = users.get(imageOnEngine(name, params.host));
    if (!containers) return;
    issues.push({
      resource: index,
      param: 'state',
      message: `removes image ${normalizeImageRef(name)}, which ${containers.join(', ')} ${containers.length === 1 ? 'is' : 'are'} made from: the two would undo each other forever`,
      hint: `keep the image (state: exists), or remove the container first (state: removed on ${containers.join(', ')})`,
    });
  });
  return issues;
}
