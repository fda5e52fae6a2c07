import { lstatSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';

/**
 * The links of a merged-/usr system (`/bin` → `usr/bin`) and of `/run`
 * (`/var/run` → `/run`): followed without a resource declaring them, so a
 * graph can write `/lib/systemd/system/app.service` as on any other system,
 * but only while the link and the folder that holds it belong to root and
 * nobody else may write there (whoever could swap such a link could change
 * the system anyway). Any other undeclared link is refused.
 */
export const SYSTEM_LINKS: ReadonlySet<string> = new Set(['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/var/run', '/var/lock']);

/** Whether `path` is one of the system links, as root keeps them: the link and its folder root's, the folder writable by root only. */
export function isTrustedSystemLink(path: string): boolean {
  if (!SYSTEM_LINKS.has(path)) return false;
  try {
    const link = lstatSync(path);
    const holder = lstatSync(posix.dirname(path));
    return link.isSymbolicLink() && link.uid === 0 && holder.isDirectory() && holder.uid === 0 && (holder.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** Where each system link led when first asked (null: not a trusted link here); they do not move while converge runs. */
const resolved = new Map<string, string | null>();

function targetOf(link: string): string | null {
  let target = resolved.get(link);
  if (target === undefined) {
    try {
      target = isTrustedSystemLink(link) ? posix.resolve(posix.dirname(link), readlinkSync(link)) : null;
    } catch {
      target = null;
    }
    resolved.set(link, target);
  }
  return target;
}

/**
 * `path` (clean and absolute) with the system links it goes through
 * replaced by where they lead: `/var/lock/x` and `/var/run/lock/x` are both
 * `/run/lock/x`, `/lib/x` is `/usr/lib/x` on a merged-/usr system. Two
 * resources for one file so spelled are then one identity, refused when
 * the graph loads instead of rewriting the file in turn.
 */
export function throughSystemLinks(path: string, hops = 0): string {
  if (hops > 8) return path;
  for (const link of SYSTEM_LINKS) {
    if (path !== link && !path.startsWith(`${link}/`)) continue;
    const target = targetOf(link);
    if (target === null) return path;
    return throughSystemLinks(posix.join(target, path.slice(link.length)), hops + 1);
  }
  return path;
}
