import { readlinkSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PathWatcher } from './path-watcher.js';

/** Links followed in a chain, at most (the kernel's own limit on a path's links). */
const MAX_LINK_HOPS = 40;

/**
 * Watches a path as PathWatcher does and, while it is a symlink, where it
 * leads: mgmt's inotify watch on the path follows the link, so a write to
 * its target, or the target removed, is an event, though nothing happened
 * at the link itself (`cur/app.conf -> ../versions/v1.conf`, the
 * `versions/v1.conf` written). Each hop of the chain and the real path at
 * its end are watched, so a link further along re-pointed is seen too.
 * At every event the chain is read again: a link pointed elsewhere has its
 * new target watched, and the old one no longer, before the event is told.
 * (res-file follows its linked inputs the same way; a plugin does not
 * import another.)
 */
export class LinkedPathWatcher {
  private readonly own: PathWatcher;
  /** The watch of each path the link leads through, by path. */
  private readonly targets = new Map<string, PathWatcher>();
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly event: () => void,
    private readonly onError: (error: Error) => void,
  ) {
    this.own = new PathWatcher(path, () => this.changed(), onError);
    this.follow();
  }

  close(): void {
    this.closed = true;
    this.own.close();
    for (const watcher of this.targets.values()) watcher.close();
    this.targets.clear();
  }

  private changed(): void {
    if (this.closed) return;
    this.follow();
    this.event();
  }

  /** Watches where the link leads now, and nothing it led to before. */
  private follow(): void {
    const leads = new Set(whereLinkLeads(this.path));
    for (const [target, watcher] of this.targets) {
      if (leads.has(target)) continue;
      watcher.close();
      this.targets.delete(target);
    }
    for (const target of leads) {
      if (!this.targets.has(target)) this.targets.set(target, new PathWatcher(target, () => this.changed(), this.onError));
    }
  }
}

/**
 * Each path the symlink at `path` leads through (every hop of its chain, as
 * the link says, and the real path, which differs when a folder on the way
 * is a link); none when `path` is no symlink. A dangling link ends at its
 * last hop, where its target will appear.
 */
export function whereLinkLeads(path: string): string[] {
  const hops: string[] = [];
  let current = path;
  for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
    let target: string;
    try {
      target = readlinkSync(current);
    } catch {
      break; // no link (EINVAL), or nothing there
    }
    current = resolve(dirname(current), target);
    hops.push(current);
  }
  if (hops.length === 0) return [];
  try {
    hops.push(realpathSync.native(path));
  } catch {
    // Dangling, or a loop (ELOOP): the hops are all there is to watch.
  }
  return [...new Set(hops)].filter((hop) => hop !== path);
}
