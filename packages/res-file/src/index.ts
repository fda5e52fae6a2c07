import { definePlugin } from '@converge/engine-api';
import { fileResource } from './file-resource.js';

export { fileResource } from './file-resource.js';
export { FileParamsSchema } from './params.js';
export type { FileParams } from './params.js';

export default definePlugin({ name: '@converge/res-file', resources: [fileResource] });
