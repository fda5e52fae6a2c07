import { PackageKitClient } from './packagekit/client.js';
import { bits, Filter, TransactionFlag } from './packagekit/enums.js';
import { PackageKitError } from './packagekit/errors.js';
import { parsePackageId } from './packagekit/package-id.js';
import type { PackageRef } from './packagekit/package-id.js';
import { isNamedState, stateOf } from './params.js';
import type { NamedState, PkgParams } from './params.js';
import { isEmptyPlan, planPackages, splitArch } from './plan.js';
import type { PackagePlan } from './plan.js';

/** What one check (and maybe apply) of a set of packages found and did. */
export interface PackagesOutcome {
  /** True when every package already was in its state. */
  readonly converged: boolean;
  /** What was (apply) or would be (noop) changed. */
  readonly plan: PackagePlan;
}

/** The Resolve filter for a set of requests: native arch, and free / supported unless allowed. */
export function resolveFilter(params: Readonly<PkgParams>): bigint {
  return bits([
    Filter.arch,
    ...(params.allownonfree ? [] : [Filter.free]),
    ...(params.allowunsupported ? [] : [Filter.supported]),
  ]);
}

export function transactionFlags(params: Readonly<PkgParams>): bigint {
  return bits([
    ...(params.allowuntrusted ? [] : [TransactionFlag.onlyTrusted]),
    ...(params.allowdowngrade && !isNamedState(stateOf(params)) ? [TransactionFlag.allowDowngrade] : []),
  ]);
}

/**
 * Checks a set of packages with one Resolve transaction and, when `apply`,
 * changes them with one transaction per kind of change (remove, install,
 * update). The requests must agree on their allow* flags (a group does, by
 * `groupCmp`): the first request's flags are used for all. Throws a
 * PackageKitError when PackageKit fails or a package cannot be found.
 */
export async function checkApplyPackages(
  client: PackageKitClient,
  requests: readonly Readonly<PkgParams>[],
  apply: boolean,
  signal?: AbortSignal,
): Promise<PackagesOutcome> {
  const first = requests[0];
  if (!first) return { converged: true, plan: { install: [], update: [], remove: [], problems: [] } };
  const names = [...new Set(requests.map((request) => splitArch(request.package).name))];
  const resolved = await client.resolve(names, resolveFilter(first), signal);
  const plan = planPackages(requests, resolved);
  // A package that cannot be found (a typo) fails the check, after the
  // others of its group are seen to: it must not hold back unrelated packages.
  const problem =
    plan.problems.length === 0
      ? undefined
      : new PackageKitError('not-found', plan.problems.map((each) => each.message).join('; '), undefined, { members: plan.problems.map((each) => each.position) });
  if (isEmptyPlan(plan)) {
    if (problem) throw problem;
    return { converged: true, plan };
  }
  const flags = transactionFlags(first);
  // A simulated removal changes nothing: a dry run asks it too, so it
  // foretells the refusal a real run would meet.
  if (plan.remove.length > 0) await refuseDependents(client, plan.remove, flags, signal);
  if (!apply) {
    if (problem) throw problem;
    return { converged: false, plan };
  }
  if (plan.remove.length > 0) await client.remove(plan.remove, flags, signal);
  if (plan.install.length > 0) await client.install(plan.install, flags, signal);
  if (plan.update.length > 0) await client.update(plan.update, flags, signal);
  if (problem) throw problem;
  return { converged: false, plan };
}

/**
 * Throws, before anything is removed, when removing `ids` would also remove
 * other packages (those that depend on them). RemovePackages is called with
 * allow_deps false, but the apt backend removes dependents all the same, so
 * a simulated removal says what would really go.
 */
async function refuseDependents(client: PackageKitClient, ids: readonly string[], flags: bigint, signal?: AbortSignal): Promise<void> {
  const key = (ref: PackageRef) => `${ref.name}:${ref.arch}`;
  const targets = new Set(ids.map((id) => key(parsePackageId(id, true))));
  const removed = await client.removalOf(ids, flags, signal);
  const dependents = [...new Set(removed.filter((ref) => !targets.has(key(ref))).map((ref) => ref.name))].sort();
  if (dependents.length === 0) return;
  const names = [...new Set(ids.map((id) => parsePackageId(id, true).name))].join(', ');
  throw new PackageKitError(
    'has-dependents',
    `removing ${names} would also remove what depends on it: ${dependents.join(', ')}; nothing was removed`,
  );
}

/**
 * Brings a whole set of packages to one state in one PackageKit transaction
 * (two for `newest` when some must be installed and others updated), on its
 * own connection to the system bus. Returns the outcome and how many
 * transactions were created (the Resolve included).
 */
export async function applyPackages(
  names: readonly string[],
  state: NamedState,
  options: Omit<PkgParams, 'package' | 'state'> & { apply?: boolean; signal?: AbortSignal } = {},
): Promise<PackagesOutcome & { transactions: number }> {
  const { apply = true, signal, ...flags } = options;
  const client = await PackageKitClient.connect(signal);
  try {
    const requests = names.map((name) => ({ ...flags, package: name, state }));
    const outcome = await checkApplyPackages(client, requests, apply, signal);
    return { ...outcome, transactions: client.transactionCount };
  } finally {
    client.close();
  }
}
