import { linkChainOf } from '@converge/system-paths';
import { PathWatcher } from './path-watcher.js';

/**
 * Watches a path as PathWatcher does and, while it is a symlink, where it
 * leads: mgmt's inotify watch on the path follows the link, so a write to
 * its target, or the target removed, is an event, though nothing happened
 * at the link itself (`cur/app.conf -> ../versions/v1.conf`, the
 * `versions/v1.conf` written). Each hop of the chain and the real path at
 * its end are watched, so a link further along re-pointed is seen too.
 * At every event the chain is read again: a link pointed elsewhere has its
 * new target watched, and the old one no longer, before the event is told.
 * (The chain is @converge/system-paths' linkChainOf, which res-file's
 * watches of symlinked folders read too: a plugin does not import another.)
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
    // The path itself (a loop back to it) is the own watch's already.
    const leads = new Set(linkChainOf(this.path).filter((hop) => hop !== this.path));
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
