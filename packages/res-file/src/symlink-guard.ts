import { realpathSync } from 'node:fs';
import { readlink, realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import { isTrustedSystemLink } from '@converge/system-paths';
import { lstatEntry } from './fs-state.js';
import { isDirOnLocalFs } from './local-fs.js';
import { fsPath } from './paths.js';

/** Declared links followed through other declared links, at most (as the kernel's own limit on a path's links). */
const MAX_LINK_HOPS = 40;

/** A parent symlink the guard refuses to follow, and why. */
export interface RefusedParentLink {
  readonly link: string;
  /** Set when a resource declares the link but it points elsewhere now. */
  readonly pointsTo?: string;
  readonly declared?: string;
}

/**
 * The first proper ancestor of `path` (from `/` down) that is a symlink the
 * graph does not vouch for: one no file resource declares, or a declared
 * one that points somewhere else than its resource's `source` (swapped
 * behind converge's back: following it would write wherever it leads now).
 * Components are lstat'ed one by one; the walk stops at the first one that
 * does not exist, since nothing below it can be followed. Checked before
 * every checkApply; it is not atomic with the writes that follow (Node has
 * no openat), which is why the writes themselves also refuse to follow a
 * symlink at the final component. A missing or linked ancestor takes the
 * slow walk, which names the link.
 */
export async function findUndeclaredParentSymlink(
  path: string,
  declaredTarget: (path: string) => string | undefined,
  depth = 0,
): Promise<RefusedParentLink | undefined> {
  const clean = fsPath(path);
  // Fast path: when the parent resolves to itself no ancestor is a symlink.
  // realpath checks every component in one call; one lstat per level from
  // here cost more than the rest of an idempotent check.
  const parent = posix.dirname(clean);
  if ((await realpathOf(parent)) === parent) return undefined;
  const parts = clean.split('/').filter((part) => part !== '');
  let current = '/';
  for (const part of parts.slice(0, -1)) {
    current = posix.join(current, part);
    const entry = await lstatEntry(current);
    if (entry === undefined) return undefined;
    if (entry.kind !== 'symlink') continue;
    const declared = declaredTarget(current);
    if (declared === undefined) {
      // Looked at again at every check (not the load's memo): a link swapped since is refused.
      if (!isTrustedSystemLink(current)) return { link: current };
      // Where it leads must pass the policy too (`/lib` → `usr/lib`: `/usr` is looked at).
      const target = await readlink(current).catch(() => undefined);
      if (target === undefined || depth >= MAX_LINK_HOPS) return { link: current };
      const beyond = await findUndeclaredParentSymlink(posix.join(posix.resolve(posix.dirname(current), target), 'entry'), declaredTarget, depth + 1);
      if (beyond !== undefined) return beyond;
      continue;
    }
    const pointsTo = await readlink(current).catch(() => undefined);
    // Gone or changed since the lstat: refused all the same, the next check looks again.
    if (pointsTo !== declared) return { link: current, declared, ...(pointsTo === undefined ? {} : { pointsTo }) };
    // Where it points must pass the same policy: a declared link to a link
    // no resource declares would lead wherever that one is pointed.
    if (depth >= MAX_LINK_HOPS) return { link: current };
    const beyond = await findUndeclaredParentSymlink(posix.join(posix.resolve(posix.dirname(current), pointsTo), 'entry'), declaredTarget, depth + 1);
    if (beyond !== undefined) return beyond;
  }
  return undefined;
}

/**
 * Folders that resolved to themselves in this turn of the event loop. The
 * checks a burst of events starts (a whole graph when its watch is ready)
 * run in one turn; they share one realpath per folder instead of one per
 * file. It says no more than a realpath made a moment earlier would: the
 * guard is not atomic with the writes anyway (see above).
 */
let resolvedThisTurn = new Set<string>();

function rememberForThisTurn(folder: string): void {
  if (resolvedThisTurn.size === 0) setImmediate(() => (resolvedThisTurn = new Set()));
  resolvedThisTurn.add(folder);
}

/**
 * True when it is certain, from a synchronous call, that no part of
 * `folder` is a symlink: it resolves to itself. The caller knows the folder
 * is on a local file system. False means "not known": ask
 * findUndeclaredParentSymlink.
 */
export function resolvesToItselfSync(folder: string): boolean {
  return localRealpath(folder) === folder;
}

/**
 * realpath of a directory, or undefined when it fails (a missing component);
 * synchronous on a local file system, and shared with the checks of this
 * turn of the event loop.
 */
export async function realpathOf(path: string): Promise<string | undefined> {
  if (isDirOnLocalFs(path)) return localRealpath(path);
  try {
    return await realpath(path);
  } catch {
    return undefined;
  }
}

/** realpath of a directory on a local file system, with a synchronous call and this turn's memo; undefined when it fails. */
function localRealpath(dir: string): string | undefined {
  if (resolvedThisTurn.has(dir)) return dir;
  try {
    const real = realpathSync.native(dir);
    if (real === dir) rememberForThisTurn(dir);
    return real;
  } catch {
    return undefined;
  }
}
