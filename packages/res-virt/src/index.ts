import { definePlugin } from '@converge/engine-api';
import { virtResource } from './virt-resource.js';

export { virtResource } from './virt-resource.js';
export { VirtParamsSchema } from './params.js';
export type { VirtParams, VirtDisk, VirtNetwork, VirtFilesystem } from './params.js';
export { buildDomainXml, parseDomainXml } from './domain-xml.js';

export default definePlugin({ name: '@converge/res-virt', resources: [virtResource] });
