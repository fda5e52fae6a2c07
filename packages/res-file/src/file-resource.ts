import { defineResource } from '@converge/engine-api';
import { throughSystemLinks } from '@converge/system-paths';
import { fileAutoEdges, fileUids } from './edges.js';
import { FileInstance } from './file-instance.js';
import { fileGraphConflicts } from './graph-conflicts.js';
import { contentRings } from './content-rings.js';
import { exposedSecrets } from './secret-exposure.js';
import { FileParamsSchema } from './params.js';
import { fsPath } from './paths.js';
import { extendedReversal, priorStateParams } from './reversal.js';
import { validateFile } from './validate.js';

/** The `file` kind: a file, directory or symlink, kept as the graph says. */
export const fileResource = defineResource({
  kind: 'file',
  description: 'Manages a file, directory (path ending in /) or symlink: existence, content, owner, group and mode.',
  params: FileParamsSchema,
  nameParam: 'path',
  validate: validateFile,
  validateGraph: (resources) => [...fileGraphConflicts(resources), ...contentRings(resources), ...exposedSecrets(resources)],
  create: (params) => new FileInstance(params),
  // One path, one resource: `/a/b`, `/a//b` and `/a/b/` are the same place.
  // One file however its path is spelled through the system's own links (/lib/x and /usr/lib/x).
  identity: (params) => throughSystemLinks(fsPath(params.path)),
  edgeable: {
    uids: (params) => fileUids(params),
    autoEdges: (params) => fileAutoEdges(params),
  },
  reversible: {
    reversal: (instance, params) =>
      priorStateParams(params, {
        resource: instance instanceof FileInstance ? instance.resourceId : `file[${params.path}]`,
        phase: 'checkApply',
      }),
    extend: extendedReversal,
  },
});
