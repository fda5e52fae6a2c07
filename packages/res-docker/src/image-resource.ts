import { defineResource } from '@converge/engine-api';
import { imagesRemovedUnderContainers } from './image-graph-check.js';
import { ImageInstance } from './image-instance.js';
import { imageOnEngine } from './image-ref.js';
import { ImageParamsSchema } from './params.js';
import { validateImage } from './validate.js';

/** The `docker:image` kind: the image named by the resource (a reference), present or absent. */
export const dockerImageResource = defineResource({
  kind: 'docker:image',
  description: 'A Docker image named by the resource: pulled when it should exist, removed when it should be absent.',
  params: ImageParamsSchema,
  validate: validateImage,
  // An image removed that a container of the graph runs (engine API 1.13: the graph's other kinds).
  validateGraph: imagesRemovedUnderContainers,
  // One image, however it is spelled (busybox and busybox:latest), on one engine.
  identity: (params, name) => (name === undefined ? undefined : imageOnEngine(name, params.host)),
  create: (params) => new ImageInstance(params),
  edgeable: {
    uids: (params, name) => [{ kind: 'docker:image', key: imageOnEngine(name, params.host) }],
    *autoEdges() {
      // An image depends on nothing else in the graph.
    },
  },
});
