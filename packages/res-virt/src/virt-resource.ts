import { defineResource } from '@converge/engine-api';
import type { AutoEdgeSearch } from '@converge/engine-api';
import { wantedHardware } from './domain-hardware.js';
import { VirtParamsSchema } from './params.js';
import type { VirtParams } from './params.js';
import { validateVirt } from './validate.js';
import { VirtInstance } from './virt-instance.js';

/** Image files and shared directories come first when they are managed as `file` resources. */
function* virtAutoEdges(params: Readonly<VirtParams>): AutoEdgeSearch {
  const hw = wantedHardware(params);
  const files = [...hw.disks, ...hw.cdroms].map((d) => ({ kind: 'file', key: d.source }));
  const dirs = hw.filesystems.map((f) => ({ kind: 'file', key: f.source.endsWith('/') ? f.source : `${f.source}/` }));
  const batch = [...files, ...dirs];
  if (batch.length > 0) yield batch;
}

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
