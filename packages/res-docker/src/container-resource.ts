import { defineResource } from '@converge/engine-api';
import { ContainerInstance } from './container-instance.js';
import { imageOnEngine } from './image-ref.js';
import { ContainerParamsSchema } from './params.js';
import { validateContainer } from './validate.js';

/** The `docker:container` kind: a container named after the resource, running, stopped or removed. */
export const dockerContainerResource = defineResource({
  kind: 'docker:container',
  description: 'A Docker container named after the resource: running, stopped or removed, with its image, cmd, env and ports.',
  params: ContainerParamsSchema,
  validate: validateContainer,
  create: (params) => new ContainerInstance(params),
  edgeable: {
    uids: (_params, name) => [{ kind: 'docker:container', key: name }],
    // The image goes first, except when the container is being removed: then
    // the container must go before its image can be removed.
    *autoEdges(params) {
      // The same image on the same engine only: an image pulled into another engine is not this container's.
      yield [{ kind: 'docker:image', key: imageOnEngine(params.image, params.host), reversed: params.state === 'removed' }];
    },
  },
});
