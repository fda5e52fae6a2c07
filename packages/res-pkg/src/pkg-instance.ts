import { EngineError } from '@converge/engine-api';
import type { ResourceContext, ResourceInstance } from '@converge/engine-api';
import { changedRequests, checkApplyPackages } from './apply-packages.js';
import { describePlan } from './describe-plan.js';
import { DPKG_DIR } from './dpkg-files.js';
import { dpkgInterrupted } from './dpkg-interrupted.js';
import { whenDpkgRepaired } from './dpkg-repair-wait.js';
import { watchDpkgStatus } from './dpkg-watch.js';
import { OwnDpkgChanges } from './own-dpkg-changes.js';
import { PackageKitClient } from './packagekit/client.js';
import type { PkgParams } from './params.js';
import type { PackagePlan } from './plan.js';
import { dpkgInterruptedError, pkgError } from './pkg-errors.js';

type PkgSends = Record<string, never>;

/**
 * One live pkg resource, or a group of them. The engine's autogroup pass
 * calls `group(children)` after `create()` with the params of the pkg
 * resources merged into this one (same state and flags, see `groupCmp`);
 * checkApply then resolves and changes all of them together, in one
 * PackageKit transaction per kind of change.
 */
export class PkgInstance implements ResourceInstance<PkgParams, PkgSends> {
  private context: ResourceContext<PkgParams, PkgSends> | undefined;
  private client: PackageKitClient | undefined;
  private children: readonly Readonly<PkgParams>[] = [];
  private changed: readonly number[] = [];
  /** What the last dry-run check found to do, for describeChange (which the engine asks right after it). */
  private dryRunPlan: PackagePlan | undefined;
  /** What a dry run last said would change (`planKey`), until nothing would: each dpkg event checks again, and it is said once. */
  private toldWouldChange: string | undefined;
  private watching = false;
  /** The packages its checks have seen (installed, available, or known to dpkg): one of them no one knows any more is no typo. */
  private readonly seen = new Set<string>();
  /** Stops waiting for an interrupted dpkg to be repaired; set while a check has reported it so. */
  private stopRepairWait: (() => void) | undefined;
  /** Which of dpkg's status changes are this resource's own transactions: not events (see OwnDpkgChanges). */
  private readonly own: OwnDpkgChanges;

  // Read afresh on every run: the engine owns `params`. `dpkgDir` is another
  // dpkg database only for tests.
  constructor(
    private readonly params: Readonly<PkgParams>,
    private readonly dpkgDir = DPKG_DIR,
  ) {
    this.own = new OwnDpkgChanges(dpkgDir);
  }

  private get ctx(): ResourceContext<PkgParams, PkgSends> {
    if (!this.context) throw new Error('pkg resource used before init');
    return this.context;
  }

  /** Grouping: the params of the pkg resources this one also acts for. */
  group(children: readonly Readonly<PkgParams>[]): void {
    this.children = [...children];
  }

  /** The group's members (0 = this resource) whose package the last checkApply changed (engine API 1.6). */
  changedMembers(): readonly number[] {
    return this.changed;
  }

  /** This resource's package and those of its group. */
  get requests(): readonly Readonly<PkgParams>[] {
    return [this.params, ...this.children];
  }

  /** The client of this resource (for tests and benchmarks: it counts transactions). */
  get packageKit(): PackageKitClient | undefined {
    return this.client;
  }

  init(ctx: ResourceContext<PkgParams, PkgSends>): void {
    this.context = ctx;
  }

  /**
   * Watches dpkg's status file (every package change on the system) and
   * PackageKit's UpdatesChanged signal (new updates after a cache refresh).
   * The signal is best effort: when PackageKit cannot be reached, the watch
   * still runs and checkApply reports why.
   */
  async watch(signal: AbortSignal): Promise<void> {
    let fail: (error: Error) => void = () => {};
    const died = new Promise<never>((_, reject) => {
      fail = reject;
    });
    const site = { resource: this.ctx.id, phase: 'watch' as const };
    const watcher = watchDpkgStatus(
      () => {
        if (this.own.isOwn()) this.ctx.log.debug("dpkg's status changed by this resource's own transaction");
        else this.ctx.event();
      },
      (error) => fail(new EngineError('ERR_RESOURCE_WATCH', `cannot watch dpkg's status file: ${error.message}`, { ...site, cause: error })),
      this.dpkgDir,
    );
    let unsubscribe: () => void = () => {};
    try {
      try {
        unsubscribe = (await this.connection(signal)).onUpdatesChanged(() => this.ctx.event());
      } catch (error) {
        if (!watcher) throw pkgError(error, this.ctx.id, 'watch');
        this.ctx.log.warn('PackageKit signals are not watched; dpkg changes still are', { reason: String(error) });
      }
      this.watching = true;
      this.ctx.event();
      await Promise.race([abortion(signal), died]);
    } finally {
      this.watching = false;
      this.stopWaitingForRepair();
      unsubscribe();
      watcher?.close();
    }
  }

  async checkApply(apply: boolean, signal: AbortSignal): Promise<boolean> {
    this.own.checkStarts();
    try {
      if (await dpkgInterrupted(this.dpkgDir)) {
        this.checkAgainOnceRepaired();
        throw dpkgInterruptedError(this.ctx.id);
      }
      const client = await this.connection(signal);
      this.changed = [];
      this.dryRunPlan = undefined;
      const requests = this.requests;
      // Logged when told, not after the call: a group whose other members fail throws after its changes (QA: they went unsaid).
      const { converged } = await checkApplyPackages(client, requests, apply, signal, (acting) => {
        this.changed = changedRequests(requests, acting);
        if (!apply) this.dryRunPlan = acting;
        // A --noop daemon checks again on every dpkg status change, anyone's:
        // what would change is said when it is news (QA: said again on each).
        const key = apply ? undefined : planKey(acting);
        if (key !== undefined && key === this.toldWouldChange) return;
        this.toldWouldChange = key;
        // A group's line is told as the members it is about (engine API 1.15),
        // not as its first resource, which may be a misspelt package (QA).
        const grouped = requests.length > 1 ? { members: this.changed } : {};
        this.ctx.log.info(`packages ${apply ? 'changed' : 'would change'}${groupShare(this.changed.length, requests.length)}`, { install: acting.install, update: acting.update, remove: acting.remove, ...grouped });
      }, {
        dpkgDir: this.dpkgDir,
        seen: this.seen,
        // Logged once per holder: a check may wait long (a dist-upgrade, unattended-upgrades).
        onLockWait: (message, fields) => this.ctx.log.info(message, fields),
      });
      if (converged) this.toldWouldChange = undefined;
      return converged;
    } catch (error) {
      throw pkgError(error, this.ctx.id, 'checkApply');
    } finally {
      // Another program's write may have been taken for ours: it gets its check.
      if ((await this.own.inDoubt()) && this.watching) this.ctx.event();
    }
  }

  /** Dry run: the packages the check just found to install, update or remove, with their versions. */
  describeChange(): Promise<string | undefined> {
    return Promise.resolve(this.dryRunPlan === undefined ? undefined : describePlan(this.dryRunPlan));
  }

  /** Third stop signal: stop waiting for a transaction left to finish (it goes on in packagekitd; nothing is cancelled). */
  interrupt(): void {
    this.client?.abandon();
  }

  cleanup(): void {
    this.stopWaitingForRepair();
    this.client?.close();
    this.client = undefined;
  }

  /**
   * A failed check is only run again on an event, and the repair that ends
   * an interruption need not write dpkg's status (nor did a dpkg run that
   * was merely seen midway): without this, the package would stay unrepaired.
   */
  private checkAgainOnceRepaired(): void {
    if (!this.watching || this.stopRepairWait) return;
    this.stopRepairWait = whenDpkgRepaired(() => {
      this.stopRepairWait = undefined;
      this.ctx.event();
    }, this.dpkgDir);
  }

  private stopWaitingForRepair(): void {
    this.stopRepairWait?.();
    this.stopRepairWait = undefined;
  }

  /** The open client, reconnecting when the bus connection was lost. */
  private async connection(signal: AbortSignal): Promise<PackageKitClient> {
    if (this.client?.isOpen) return this.client;
    this.client?.close();
    this.client = await PackageKitClient.connect(signal);
    this.client.onChangingSystem = (changing) => (changing ? this.own.changeStarts() : this.own.changeEnds());
    this.client.onLeftToFinish = (method) =>
      this.ctx.log.warn(`${method} is already changing the system (dpkg is running): it is left to finish in packagekitd, not cancelled (cancelling would leave dpkg half done)`);
    return this.client;
  }
}

/** ` (2 of a group of 5)`: how much of its transaction's group a line is about; nothing for a resource alone. */
function groupShare(about: number, size: number): string {
  return size > 1 ? ` (${about} of a group of ${size})` : '';
}

/** What a plan changes, as one text: package ids carry their versions, so a new candidate is news. */
function planKey(plan: PackagePlan): string {
  return JSON.stringify([plan.install, plan.update, plan.remove].map((ids) => [...ids].sort()));
}

function abortion(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
