import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { commandOf, lockHolders, parentOf } from './dpkg-lock.js';
import type { LockHolder } from './dpkg-lock.js';
import { PackageKitError } from './packagekit/errors.js';

/** How often a held lock is looked at again: one read of /proc/locks. */
export const LOCK_POLL_MS = 500;

/** apt's lock on its downloads, taken with dpkg's by every install. */
const APT_ARCHIVES_LOCK = '/var/cache/apt/archives/lock';

/** The locks a package change needs: dpkg's (apt's frontend lock, and dpkg's own) and apt's download folder's. */
export function changeLocks(dpkgDir: string): string[] {
  return [join(dpkgDir, 'lock-frontend'), join(dpkgDir, 'lock'), APT_ARCHIVES_LOCK];
}

/** `process 2236 (python3)`, or the holder as apt told it when /proc/locks does not show it. */
function describeHolder(holder: LockHolder): string {
  if (holder.pid === undefined) return 'another process (an open file description lock: no process id)';
  return `process ${holder.pid}${holder.command ? ` (${holder.command})` : ''}`;
}

/**
 * Waits, as apt and dpkg do, for other programs (apt-get, dpkg,
 * unattended-upgrades) to let go of the package locks before a change, and
 * after a transaction that failed because one was held. packagekitd and
 * what it runs (dpkg) are not waited for: PackageKit queues its own
 * transactions. One per check: it tells `onWaiting` once per holder.
 */
export class PackageLockWait {
  private readonly told = new Set<string>();

  constructor(
    private readonly paths: readonly string[],
    private readonly signal: AbortSignal | undefined,
    private readonly onWaiting: (message: string, holder: { path: string; pid?: number; command?: string }) => void = () => {},
    private readonly pollMs = LOCK_POLL_MS,
  ) {}

  /** Returns once no other program holds the locks; throws an `aborted` PackageKitError when the check is stopped meanwhile. */
  async untilFree(): Promise<void> {
    for (;;) {
      const holder = await this.foreignHolder(this.paths);
      if (!holder) return;
      await this.pause(this.tell(holder.path, describeHolder(holder), holder));
    }
  }

  /**
   * After a transaction failed because a lock was held (PackageKit's apt
   * backend waits for it only a few seconds): waits until the lock it names
   * and the others are free, at least one pause, so that a lock this
   * process cannot see (another mount namespace) is retried at that pace
   * rather than at once.
   */
  async afterFailure(error: PackageKitError): Promise<void> {
    const said = /Could not get lock (\/\S+?)\.? It is held by (process \d+(?: \([^)]*\))?)/.exec(error.message);
    const path = said?.[1] ?? this.paths[0] ?? '';
    const holder = await this.foreignHolder(said?.[1] ? [path, ...this.paths] : this.paths);
    const who = holder ? describeHolder(holder) : (said?.[2] ?? 'another process');
    await this.pause(this.tell(holder?.path ?? path, who, holder));
    await this.untilFree();
  }

  /** Tells `onWaiting` of a holder the first time; returns what is waited for (`the dpkg lock held by process 2236 (python3)`). */
  private tell(path: string, who: string, holder: LockHolder | undefined): string {
    const what = `the ${path.includes('/dpkg/') ? 'dpkg' : 'apt'} lock held by ${who}`;
    const key = `${path} ${who}`;
    if (!this.told.has(key)) {
      this.told.add(key);
      this.onWaiting(`waiting for ${what}`, {
        path,
        ...(holder?.pid === undefined ? {} : { pid: holder.pid }),
        ...(holder?.command === undefined ? {} : { command: holder.command }),
      });
    }
    return what;
  }

  private async pause(what: string): Promise<void> {
    try {
      await sleep(this.pollMs, undefined, this.signal ? { signal: this.signal } : undefined);
    } catch {
      throw new PackageKitError('aborted', `stopped waiting for ${what}`);
    }
  }

  /** The first holder of one of `paths` that is not packagekitd or a process it started. */
  private async foreignHolder(paths: readonly string[]): Promise<LockHolder | undefined> {
    if (this.signal?.aborted) throw new PackageKitError('aborted', 'stopped waiting for the package locks');
    for (const holder of await lockHolders(paths)) {
      if (!(await startedByPackageKit(holder))) return holder;
    }
    return undefined;
  }
}

/** Whether a lock holder is packagekitd, or a process it started (dpkg, its maintainer scripts). */
async function startedByPackageKit(holder: LockHolder): Promise<boolean> {
  if (holder.command === 'packagekitd') return true;
  let pid = holder.pid;
  for (let depth = 0; pid !== undefined && depth < 8; depth++) {
    pid = await parentOf(pid);
    if (pid === undefined || pid === 1) return false;
    if ((await commandOf(pid)) === 'packagekitd') return true;
  }
  return false;
}
