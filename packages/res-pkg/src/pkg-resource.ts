import { defineResource } from '@converge/engine-api';
import { PkgParamsSchema } from './params.js';
import { pkgAutoEdges, pkgUids } from './pkg-edges.js';
import { PkgInstance } from './pkg-instance.js';
import { pkgGroupCmp, pkgIdentity, pkgMerge } from './pkg-traits.js';
import { validatePkg } from './validate.js';

/** The `pkg` kind: a system package, through PackageKit on the system D-Bus. */
export const pkgResource = defineResource({
  kind: 'pkg',
  description: 'A system package (installed, uninstalled, newest or an exact version), through PackageKit.',
  params: PkgParamsSchema,
  nameParam: 'package',
  validate: validatePkg,
  identity: (params) => pkgIdentity(params),
  create: (params) => new PkgInstance(params),
  edgeable: {
    uids: (params) => pkgUids(params),
    autoEdges: (params) => pkgAutoEdges(params),
  },
  groupable: { groupCmp: pkgGroupCmp },
  mergeable: { merge: pkgMerge },
});
