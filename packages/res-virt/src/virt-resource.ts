import { defineResource } from '@converge/engine-api';
import { VirtParamsSchema } from './params.js';
import { validateVirt } from './validate.js';
import { virtAutoEdges } from './virt-edges.js';
import { VirtInstance } from './virt-instance.js';

/** The `virt` kind: a libvirt domain (virtual machine) in the wanted state. */
export const virtResource = defineResource({
  kind: 'virt',
  description: 'A libvirt domain (virtual machine): defined or transient, running, paused or shut off.',
  params: VirtParamsSchema,
  // A refresh restarts the domain only with restartonrefresh.
  refreshable: (params) => params.restartonrefresh,
  validate: validateVirt,
  create: (params) => new VirtInstance(params),
  edgeable: {
    uids: (params, name) => [{ kind: 'virt', key: `${params.uri} ${name}` }],
    autoEdges: (params) => virtAutoEdges(params),
  },
});
