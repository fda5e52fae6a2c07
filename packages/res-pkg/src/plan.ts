import type { PackageRef } from './packagekit/package-id.js';
import { stateOf } from './params.js';
import type { PkgParams } from './params.js';

/** A request that cannot be met from what PackageKit resolved. */
export interface PlanProblem {
  readonly name: string;
  /** Which request it is about (its position in the requests: a group's member). */
  readonly position: number;
  readonly message: string;
  readonly hint: string;
}

/** The PackageKit ids to act on, one transaction per non-empty list. */
export interface PackagePlan {
  readonly install: readonly string[];
  readonly update: readonly string[];
  readonly remove: readonly string[];
  readonly problems: readonly PlanProblem[];
}

/** `libc6:i386` → name `libc6`, arch `i386`. */
export function splitArch(name: string): { name: string; arch: string | undefined } {
  const [base = name, arch] = name.split(':');
  return { name: base, arch };
}

/**
 * Compares what each request asks for with the installed and candidate
 * versions PackageKit resolved, and says what to install, update or remove.
 * Pure. A candidate is the version apt would install (its policy's choice);
 * `newest` means "the candidate", as `apt-get install` does. PackageKit
 * only offers the installed and the candidate version, so an exact version
 * must be one of them (pin it in apt's preferences to make it the candidate).
 *
 * A name PackageKit finds neither installed nor available is a problem in
 * any state, as in mgmt ("can't find package named ..."): `uninstalled`
 * included, or a typo would pass for a package duly absent. Unless
 * `knownOtherwise` says it is no typo: dpkg has it (removed but not purged,
 * its config files left), or it was seen before (a local package this
 * resource has just removed): such a package is duly uninstalled.
 */
export function planPackages(
  requests: readonly Readonly<PkgParams>[],
  resolved: readonly PackageRef[],
  knownOtherwise: (packageName: string) => boolean = () => false,
): PackagePlan {
  const install: string[] = [];
  const update: string[] = [];
  const remove: string[] = [];
  const problems: PlanProblem[] = [];
  for (const [position, request] of requests.entries()) {
    const { name, arch } = splitArch(request.package);
    const entries = resolved.filter((ref) => ref.name === name && (arch === undefined || ref.arch === arch));
    const installed = entries.find((ref) => ref.installed);
    const candidate = entries.find((ref) => !ref.installed);
    const state = stateOf(request);
    const unknown = (): PlanProblem => ({
      name: request.package,
      position,
      message: `package ${request.package} is not known to PackageKit`,
      hint: 'check the name (`apt-cache policy NAME`), refresh the package lists (`pkcon refresh`), or allow non-free / unsupported packages',
    });
    if (state === 'uninstalled') {
      if (installed) remove.push(installed.id);
      else if (entries.length === 0 && !knownOtherwise(request.package)) problems.push(unknown());
    } else if (state === 'installed') {
      if (installed) continue;
      if (candidate) install.push(candidate.id);
      else problems.push(unknown());
    } else if (state === 'newest') {
      if (candidate) (installed ? update : install).push(candidate.id);
      else if (!installed) problems.push(unknown());
    } else {
      if (installed?.version === state) continue;
      const exact = entries.find((ref) => ref.version === state);
      if (exact) (installed ? update : install).push(exact.id);
      else if (entries.length === 0) problems.push(unknown());
      else problems.push(versionUnavailable(request.package, position, state, entries));
    }
  }
  return { install, update, remove, problems };
}

export function isEmptyPlan(plan: PackagePlan): boolean {
  return plan.install.length === 0 && plan.update.length === 0 && plan.remove.length === 0;
}

function versionUnavailable(name: string, position: number, version: string, entries: readonly PackageRef[]): PlanProblem {
  const offered = [...new Set(entries.map((ref) => `${ref.version}${ref.installed ? ' (installed)' : ''}`))].join(', ');
  return {
    name,
    position,
    message: `version ${version} of package ${name} is not available (PackageKit offers ${offered})`,
    hint: 'use one of the offered versions, or pin the wanted one in /etc/apt/preferences.d so that it is the candidate',
  };
}
