import { DPKG_DIR, dpkgState } from './dpkg-status.js';
import { changeLocks, PackageLockWait } from './package-lock-wait.js';
import { PackageKitClient } from './packagekit/client.js';
import { bits, Filter, TransactionFlag } from './packagekit/enums.js';
import { isPackageKitError, PackageKitError } from './packagekit/errors.js';
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

/**
 * What is installed and what may be installed. `free` and `supported` limit
 * what converge installs, not what it sees: PackageKit's apt backend counts
 * an installed package whose version no archive offers any more (a local
 * build, a package from a dropped source: `installed,local` in `apt list`)
 * as unsupported, and a Resolve with that filter hides it, so it looked
 * uninstalled (QA: `installed` planned to install it again, `uninstalled`
 * said converged while it stayed). So everything is resolved first; only
 * when something is to be installed or updated are the candidates resolved
 * again with the filter (a converged check stays one transaction).
 */
async function resolveInstalledAndAllowed(
  client: PackageKitClient,
  requests: readonly Readonly<PkgParams>[],
  names: readonly string[],
  allowedFilter: bigint,
  signal: AbortSignal | undefined,
): Promise<PackageRef[]> {
  const seenFilter = bits([Filter.arch]);
  const everything = await client.resolve(names, seenFilter, signal);
  if (allowedFilter === seenFilter) return everything;
  const unfiltered = planPackages(requests, everything);
  if (unfiltered.install.length === 0 && unfiltered.update.length === 0) return everything;
  const allowed = await client.resolve(names, allowedFilter, signal);
  return [...everything.filter((ref) => ref.installed), ...allowed.filter((ref) => !ref.installed)];
}

export function transactionFlags(params: Readonly<PkgParams>): bigint {
  return bits([
    ...(params.allowuntrusted ? [] : [TransactionFlag.onlyTrusted]),
    ...(params.allowdowngrade && !isNamedState(stateOf(params)) ? [TransactionFlag.allowDowngrade] : []),
  ]);
}

/** What a check may be told besides its packages. */
export interface CheckOptions {
  /** dpkg's database (another only for tests). */
  readonly dpkgDir?: string;
  /** Told once per holder when a change waits for another program to let go of the package locks. */
  readonly onLockWait?: (message: string, fields: { path: string; pid?: number; command?: string }) => void;
  /** How often a held lock is looked at again (tests). */
  readonly lockPollMs?: number;
  /**
   * The packages seen before by whoever checks (a resource, across its
   * checks): filled here, and a package to be uninstalled that is in it is
   * no typo even when nothing knows it any more (a package of no archive,
   * just removed and so purged by dpkg).
   */
  readonly seen?: Set<string>;
}

/**
 * Checks a set of packages with one Resolve transaction and, when `apply`,
 * changes them with one transaction per kind of change (remove, install,
 * update). The requests must agree on their allow* flags (a group does, by
 * `groupCmp`): the first request's flags are used for all. Throws a
 * PackageKitError when PackageKit fails or a package cannot be found.
 *
 * Another program changing packages (apt-get, dpkg, unattended-upgrades)
 * holds dpkg's lock: a change waits for it to be free, as apt does, before
 * it starts, and again when a transaction failed because the lock was
 * taken meanwhile; the check then starts over (the other program may have
 * changed these packages). The wait ends with `signal` (the engine's timeout).
 */
export async function checkApplyPackages(
  client: PackageKitClient,
  requests: readonly Readonly<PkgParams>[],
  apply: boolean,
  signal?: AbortSignal,
  /** Told what was changed once it was (before a refusal or a missing package is thrown), or what a dry run would change. */
  acted?: (plan: PackagePlan) => void,
  options: CheckOptions = {},
): Promise<PackagesOutcome> {
  const { dpkgDir = DPKG_DIR, seen = new Set<string>() } = options;
  const locks = new PackageLockWait(changeLocks(dpkgDir), signal, options.onLockWait, options.lockPollMs);
  // What earlier attempts of this check changed before a lock stopped them.
  const done = { install: [] as string[], update: [] as string[], remove: [] as string[] };
  for (;;) {
    try {
      return await checkApplyOnce(client, requests, apply, signal, acted, { dpkgDir, locks, done, seen });
    } catch (error) {
      if (!isPackageKitError(error) || error.failure !== 'locked') throw error;
      await locks.afterFailure(error);
    }
  }
}

async function checkApplyOnce(
  client: PackageKitClient,
  requests: readonly Readonly<PkgParams>[],
  apply: boolean,
  signal: AbortSignal | undefined,
  acted: ((plan: PackagePlan) => void) | undefined,
  attempt: { dpkgDir: string; locks: PackageLockWait; done: { install: string[]; update: string[]; remove: string[] }; seen: Set<string> },
): Promise<PackagesOutcome> {
  const { dpkgDir, locks, done, seen } = attempt;
  const first = requests[0];
  if (!first) return { converged: true, plan: { install: [], update: [], remove: [], problems: [] } };
  const names = [...new Set(requests.map((request) => splitArch(request.package).name))];
  const resolved = await resolveInstalledAndAllowed(client, requests, names, resolveFilter(first), signal);
  // A package PackageKit does not find may still be one dpkg has (rc), or
  // one seen before: not a typo.
  const known = (name: string) => resolved.some((ref) => ref.name === splitArch(name).name) || dpkgState(name, dpkgDir) !== undefined;
  for (const request of requests) if (known(request.package)) seen.add(request.package);
  const plan = planPackages(requests, resolved, (name) => seen.has(name));
  // A package that cannot be found (a typo) fails the check, after the
  // others of its group are seen to: it must not hold back unrelated packages.
  const problem =
    plan.problems.length === 0
      ? undefined
      : new PackageKitError('not-found', plan.problems.map((each) => each.message).join('; '), undefined, { members: plan.problems.map((each) => each.position) });
  // Ends the check: what this check changed, in this attempt and before a lock held it up, is told.
  const settle = (left: PackagePlan, failure: PackageKitError | undefined): PackagesOutcome => {
    const changed: PackagePlan = { ...left, install: [...done.install], update: [...done.update], remove: [...done.remove] };
    if (isEmptyPlan(changed)) {
      if (failure) throw failure;
      return { converged: true, plan: left };
    }
    acted?.(changed);
    if (failure) throw failure;
    return { converged: false, plan: changed };
  };
  if (isEmptyPlan(plan)) return settle(plan, problem);
  const flags = transactionFlags(first);
  // A simulated removal changes nothing: a dry run asks it too, so it
  // foretells the refusal a real run would meet.
  const held = plan.remove.length > 0 ? await holdBackDependentRemovals(client, plan.remove, requests, flags, signal) : undefined;
  const acting: PackagePlan = held ? { ...plan, remove: held.remove } : plan;
  const failure = combined(held?.refusal, problem);
  if (isEmptyPlan(acting)) return settle(acting, failure);
  if (!apply) {
    // Said before a failure too: the members that did not fail would change all the same.
    acted?.(acting);
    if (failure) throw failure;
    return { converged: false, plan: acting };
  }
  const change = async (ids: readonly string[], into: string[], transaction: () => Promise<void>) => {
    if (ids.length === 0) return;
    await locks.untilFree();
    await transaction();
    into.push(...ids);
  };
  await change(acting.remove, done.remove, () => client.remove(acting.remove, flags, signal));
  await change(acting.install, done.install, () => client.install(acting.install, flags, signal));
  await change(acting.update, done.update, () => client.update(acting.update, flags, signal));
  return settle(acting, failure);
}

/**
 * The removals that take no other package along, and a refusal, naming its
 * requests (a group's members), for those that would: they stay installed.
 * RemovePackages is called with allow_deps false, but the apt backend
 * removes dependents all the same, so a simulated removal says what would
 * really go. Only when the removals together would take others along is
 * each simulated alone, so that one package with dependents does not hold
 * back the removal of unrelated ones; a package that only other removals
 * depend on goes with them.
 */
async function holdBackDependentRemovals(
  client: PackageKitClient,
  ids: readonly string[],
  requests: readonly Readonly<PkgParams>[],
  flags: bigint,
  signal?: AbortSignal,
): Promise<{ remove: readonly string[]; refusal?: PackageKitError }> {
  const key = (ref: PackageRef) => `${ref.name}:${ref.arch}`;
  const targets = new Set(ids.map((id) => key(parsePackageId(id, true))));
  const outsiders = async (some: readonly string[]) => (await client.removalOf(some, flags, signal)).filter((ref) => !targets.has(key(ref))).map((ref) => ref.name);
  const together = await outsiders(ids);
  if (together.length === 0) return { remove: ids };
  const dependents = new Set<string>();
  const refused: string[] = [];
  if (ids.length > 1) {
    for (const id of ids) {
      const alone = await outsiders([id]);
      if (alone.length === 0) continue;
      refused.push(id);
      for (const name of alone) dependents.add(name);
    }
  }
  // Together, but none alone (or only one to remove): all of them are held back.
  if (refused.length === 0) {
    refused.push(...ids);
    for (const name of together) dependents.add(name);
  }
  const refusedRefs = refused.map((id) => parsePackageId(id, true));
  const names = [...new Set(refusedRefs.map((ref) => ref.name))].join(', ');
  const members = requestsFor(requests, refusedRefs).filter((position) => stateOf(requests[position] as PkgParams) === 'uninstalled');
  const kept = ids.filter((id) => !refused.includes(id));
  return {
    remove: kept,
    refusal: new PackageKitError(
      'has-dependents',
      `removing ${names} would also remove what depends on it: ${[...dependents].sort().join(', ')}; ${kept.length === 0 ? 'nothing was removed' : `${names} stayed installed`}`,
      undefined,
      { members },
    ),
  };
}

/** The requests (by position) whose package `plan` acts on. */
export function changedRequests(requests: readonly Readonly<PkgParams>[], plan: PackagePlan): number[] {
  return requestsFor(requests, [...plan.install, ...plan.update, ...plan.remove].map((id) => parsePackageId(id, true)));
}

/** The requests (by position) for one of `refs`: the same name, and the same architecture when the request gives one. */
function requestsFor(requests: readonly Readonly<PkgParams>[], refs: readonly PackageRef[]): number[] {
  return requests.flatMap((request, position) => {
    const { name, arch } = splitArch(request.package);
    return refs.some((ref) => ref.name === name && (arch === undefined || ref.arch === arch)) ? [position] : [];
  });
}

/** One error for a refused removal and packages that cannot be found: each names its members. */
function combined(refusal: PackageKitError | undefined, problem: PackageKitError | undefined): PackageKitError | undefined {
  if (!refusal || !problem) return refusal ?? problem;
  const members = [...new Set([...(refusal.members ?? []), ...(problem.members ?? [])])].sort((a, b) => a - b);
  return new PackageKitError(refusal.failure, `${refusal.message}; ${problem.message}`, undefined, { members });
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
