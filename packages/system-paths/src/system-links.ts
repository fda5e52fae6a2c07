import { lstatSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { normalizePath } from './normalize.js';

/**
 * The links of a merged-/usr system (`/bin` → `usr/bin`) and of `/run`
 * (`/var/run` → `/run`): followed without a resource declaring them, so a
 * graph can write `/lib/systemd/system/app.service` as on any other system,
 * but only while the link and the folder that holds it belong to root and
 * nobody else may write there (whoever could swap such a link could change
 * the system anyway). Any other undeclared link is refused.
 */
export const SYSTEM_LINKS: ReadonlySet<string> = new Set(['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/var/run', '/var/lock']);

/**
 * A set of system links and where they lead. The host's are
 * `hostSystemLinks`; a test builds its own from links it made in a folder
 * of its own, so it does not depend on how the host is laid out.
 */
export class SystemLinks {
  readonly #links: ReadonlySet<string>;
  /** Where each link led when first asked (null: not a trusted link here); they do not move while converge runs. */
  readonly #targets = new Map<string, string | null>();

  constructor(links: Iterable<string> = SYSTEM_LINKS) {
    this.#links = new Set(links);
  }

  /** Whether `path` is one of the links, as root keeps them: the link and its folder root's, the folder writable by root only. */
  isTrusted(path: string): boolean {
    if (!this.#links.has(path)) return false;
    try {
      const link = lstatSync(path);
      const holder = lstatSync(posix.dirname(path));
      return link.isSymbolicLink() && link.uid === 0 && holder.isDirectory() && holder.uid === 0 && (holder.mode & 0o022) === 0;
    } catch {
      return false;
    }
  }

  /**
   * `path` (clean and absolute) with the links it goes through replaced by
   * where they lead: `/var/lock/x` and `/var/run/lock/x` are both
   * `/run/lock/x`, `/lib/x` is `/usr/lib/x` on a merged-/usr system.
   */
  through(path: string): string {
    return this.#through(path, 0);
  }

  /**
   * An absolute path as the one key of the place it names, for autoedges
   * between kinds (`{kind: 'file', key}`): `//`, `.` and `..` collapsed as
   * written, then these links followed, so `/bin/x`, `//usr/bin/x` and
   * `/usr/local/../bin/x` are all `/usr/bin/x` on a merged-/usr system. A
   * directory keeps (or, with `isDir`, gets) its trailing slash:
   * `/lib/app/` is `/usr/lib/app/`.
   */
  systemPath(path: string, isDir = path.endsWith('/')): string {
    const real = this.through(normalizePath(path, false));
    return isDir && real !== '/' ? `${real}/` : real;
  }

  #through(path: string, hops: number): string {
    if (hops > 8) return path;
    for (const link of this.#links) {
      if (path !== link && !path.startsWith(`${link}/`)) continue;
      const target = this.#targetOf(link);
      if (target === null) return path;
      return this.#through(posix.join(target, path.slice(link.length)), hops + 1);
    }
    return path;
  }

  #targetOf(link: string): string | null {
    let target = this.#targets.get(link);
    if (target === undefined) {
      try {
        target = this.isTrusted(link) ? posix.resolve(posix.dirname(link), readlinkSync(link)) : null;
      } catch {
        target = null;
      }
      this.#targets.set(link, target);
    }
    return target;
  }
}

/** This host's system links (`SYSTEM_LINKS`). */
export const hostSystemLinks = new SystemLinks();

/** Whether `path` is one of this host's system links, as root keeps them (see `SystemLinks.isTrusted`). */
export function isTrustedSystemLink(path: string): boolean {
  return hostSystemLinks.isTrusted(path);
}

/**
 * `path` (clean and absolute) through this host's system links (see
 * `SystemLinks.through`). Two file resources for one file so spelled are
 * then one identity, refused when the graph loads instead of rewriting the
 * file in turn.
 */
export function throughSystemLinks(path: string): string {
  return hostSystemLinks.through(path);
}

/** `path` as the one key of the place it names on this host (see `SystemLinks.systemPath`). */
export function systemPath(path: string, isDir = path.endsWith('/')): string {
  return hostSystemLinks.systemPath(path, isDir);
}
