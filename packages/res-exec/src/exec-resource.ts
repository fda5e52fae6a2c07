import { defineResource } from '@converge/engine-api';
import { execAutoEdges } from './exec-edges.js';
import { ExecInstance } from './exec-instance.js';
import { ExecParamsSchema, ExecSendsSchema } from './params.js';
import { validateExec } from './validate.js';

/** The `exec` kind: runs a command, guarded by checks, in its own process group. */
export const execResource = defineResource({
  kind: 'exec',
  description: 'Runs a command (guarded by ifcmd, nifcmd, creates) in its own process group.',
  params: ExecParamsSchema,
  nameParam: 'cmd',
  sends: ExecSendsSchema,
  refreshable: true,
  validate: validateExec,
  create: (params) => new ExecInstance(params),
  edgeable: {
    // Nothing else is keyed by what an exec is, so it claims no identity.
    uids: () => [],
    autoEdges: (params) => execAutoEdges(params),
  },
});
