import { nativeArch } from './dpkg-files.js';
import { isNamedState, stateOf } from './params.js';
import type { PkgParams } from './params.js';
import { splitArch } from './plan.js';

const FLAGS = ['allowuntrusted', 'allowdowngrade', 'allownonfree', 'allowunsupported'] as const;

function sameFlags(a: Readonly<PkgParams>, b: Readonly<PkgParams>): boolean {
  return FLAGS.every((flag) => Boolean(a[flag]) === Boolean(b[flag]));
}

/**
 * Packages group when one transaction can serve them all: the same named
 * state (exact versions never group) and the same allow* flags, which apply
 * to the whole transaction.
 */
export function pkgGroupCmp(a: Readonly<PkgParams>, b: Readonly<PkgParams>): boolean {
  const state = stateOf(a);
  return isNamedState(state) && state === stateOf(b) && sameFlags(a, b);
}

/** Compatible duplicates: equal ones merge, `installed` + `newest` is `newest`; anything else conflicts. */
export function pkgMerge(a: Readonly<PkgParams>, b: Readonly<PkgParams>): PkgParams | undefined {
  if (a.package !== b.package || !sameFlags(a, b)) return undefined;
  const states = new Set([stateOf(a), stateOf(b)]);
  if (states.size === 1) return { ...a };
  if (states.has('installed') && states.has('newest') && states.size === 2) return { ...a, state: 'newest' };
  return undefined;
}

/**
 * The package a resource manages: its name, with the architecture when it is
 * not the native one (`libc6:i386`; `hello:amd64` is `hello` on amd64). Two
 * pkg resources of one package under different names would each undo the
 * other's state forever, so the engine refuses such a graph at load (after
 * merging same-named duplicates).
 */
export function pkgIdentity(params: Readonly<PkgParams>): string {
  const { name, arch } = splitArch(params.package);
  return arch === undefined || arch === nativeArch() ? name : `${name}:${arch}`;
}
