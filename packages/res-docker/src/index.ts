import { definePlugin } from '@converge/engine-api';
import { dockerContainerResource } from './container-resource.js';
import { dockerImageResource } from './image-resource.js';

export { dockerContainerResource } from './container-resource.js';
export { dockerImageResource } from './image-resource.js';
export { ContainerParamsSchema, ImageParamsSchema } from './params.js';
export type { ContainerParams, ImageParams } from './params.js';
export { normalizeImageRef } from './image-ref.js';

export default definePlugin({ name: '@converge/res-docker', resources: [dockerContainerResource, dockerImageResource] });
