import { definePlugin } from '@converge/engine-api';
import { execResource } from './exec-resource.js';

export { execResource } from './exec-resource.js';
export { ExecParamsSchema, ExecSendsSchema } from './params.js';
export type { ExecParams, ExecSends } from './params.js';

export default definePlugin({ name: '@converge/res-exec', resources: [execResource] });
