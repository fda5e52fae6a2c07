import { readlinkSync, realpathSync } from 'node:fs';
import { posix } from 'node:path';

/** Links followed in a chain, at most (the kernel's own limit on a path's links). */
export const MAX_LINK_HOPS = 40;

/**
 * Each path the symlink at `path` leads through, in order and each once:
 * every hop of its chain as the links say it, then the real path at its
 * end. A watch on what a link reads needs them all: re-pointing any hop
 * (`cur/app.conf -> ../hop/h.conf -> ../versions/v1.conf`, the middle one
 * changed) changes what `path` reads though the link itself stays as it
 * was, and the real path differs from the last hop when a folder on the
 * way is itself a link, so only it is where the content really changes.
 *
 * None when `path` is no symlink, or nothing is there. A dangling link ends
 * at its last hop, where its target will appear. A loop has no real path
 * (ELOOP): its hops are read round once, `path` among them when the loop
 * comes back to it.
 */
export function linkChainOf(path: string): string[] {
  const hops: string[] = [];
  let current = path;
  for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
    let target: string;
    try {
      target = readlinkSync(current);
    } catch {
      break; // no link (EINVAL), or nothing there
    }
    current = posix.resolve(posix.dirname(current), target);
    hops.push(current);
  }
  if (hops.length === 0) return [];
  try {
    hops.push(realpathSync.native(path));
  } catch {
    // Dangling, or a loop (ELOOP): the hops are all there is.
  }
  return [...new Set(hops)];
}
