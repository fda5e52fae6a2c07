import { definePlugin } from '@converge/engine-api';
import { pkgResource } from './pkg-resource.js';

export { pkgResource } from './pkg-resource.js';
export { PkgInstance } from './pkg-instance.js';
export { PkgParamsSchema, NAMED_STATES } from './params.js';
export type { PkgParams, NamedState } from './params.js';
export { applyPackages, checkApplyPackages } from './apply-packages.js';
export type { PackagesOutcome } from './apply-packages.js';
export { planPackages } from './plan.js';
export type { PackagePlan, PlanProblem } from './plan.js';
export { PackageKitClient } from './packagekit/client.js';
export type { TransactionMethod } from './packagekit/client.js';
export { PackageKitError, isPackageKitError } from './packagekit/errors.js';
export type { PackageKitFailure } from './packagekit/errors.js';
export type { PackageRef } from './packagekit/package-id.js';

export default definePlugin({ name: '@converge/res-pkg', resources: [pkgResource] });
