import type { GroupLedger } from './group-ledger.js';
import type { ProcessGroup } from './process-group.js';

/**
 * Every process group a resource started that may still have members: the
 * running cmd and guards, watchcmd, the children a finished command left
 * behind, and groups being stopped. A group is forgotten only once it is
 * known to be empty, so that an interrupt arriving while a graceful stop
 * still waits out its grace period (the third stop signal, right after the
 * second) can still SIGKILL it before the engine exits.
 */
export class LiveGroups {
  readonly #groups = new Set<ProcessGroup>();
  /** Where the groups are written down while they run, for a run after a crash (see GroupLedger). */
  #ledger: GroupLedger | undefined;

  /** From init on, groups are written down in `ledger` too. */
  keepIn(ledger: GroupLedger): void {
    this.#ledger = ledger;
  }

  add(group: ProcessGroup): void {
    this.#groups.add(group);
    this.#ledger?.record(group.pgid);
  }

  /** Forgets `group` when it has no running member left; it stays tracked otherwise. */
  forgetIfEmpty(group: ProcessGroup): void {
    if (group.isAlive()) return;
    this.#groups.delete(group);
    this.#ledger?.forget(group.pgid);
  }

  /** Stops `group` (SIGTERM, then SIGKILL) and forgets it once it is empty. */
  async stop(group: ProcessGroup): Promise<void> {
    await group.stop();
    this.forgetIfEmpty(group);
  }

  /** Stops every group, then waits until the ledger holds no record of them (the process may exit right after). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#groups].map((group) => this.stop(group)));
    await this.#ledger?.settled();
  }

  /** SIGKILL to every tracked group, synchronously: the process may exit right after. */
  killAll(): void {
    for (const group of this.#groups) group.kill();
  }
}
