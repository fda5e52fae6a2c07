import type { GroupLedger } from './group-ledger.js';
import { ProcessGroup } from './process-group.js';
import type { CommandSpec } from './process-group.js';

/**
 * Every process group a resource started that may still have members: the
 * running cmd and guards, watchcmd, the children a finished command left
 * behind, and groups being stopped. A group is forgotten only once it is
 * known to be empty, so that an interrupt arriving while a graceful stop
 * still waits out its grace period (the third stop signal, right after the
 * second) can still SIGKILL it before the engine exits.
 */
export class LiveGroups {
  /** Each group, with the token of its record in the ledger. */
  readonly #groups = new Map<ProcessGroup, string | undefined>();
  /** Where the groups are written down while they run, for a run after a crash (see GroupLedger). */
  #ledger: GroupLedger | undefined;

  /** From init on, groups are written down in `ledger` too. */
  keepIn(ledger: GroupLedger): void {
    this.#ledger = ledger;
  }

  /** Starts a command in a group of its own, written down before it is spawned (see GroupLedger); rejects as ProcessGroup.start does. */
  async start(spec: CommandSpec): Promise<ProcessGroup> {
    const ledger = this.#ledger;
    const token = await ledger?.intend();
    let group: ProcessGroup;
    try {
      group = await ProcessGroup.start(spec, token);
    } catch (error) {
      if (token !== undefined) ledger?.forget(token);
      throw error;
    }
    if (token !== undefined) ledger?.started(token, group.pgid);
    this.#groups.set(group, token);
    return group;
  }

  /** Forgets `group` when it has no running member left; it stays tracked otherwise. */
  forgetIfEmpty(group: ProcessGroup): void {
    if (!this.#groups.has(group) || group.isAlive()) return;
    const token = this.#groups.get(group);
    this.#groups.delete(group);
    if (token !== undefined) this.#ledger?.forget(token);
  }

  /** Stops `group` (SIGTERM, then SIGKILL) and forgets it once it is empty. */
  async stop(group: ProcessGroup): Promise<void> {
    await group.stop();
    this.forgetIfEmpty(group);
  }

  /** Stops every group; their records are gone once it returns (the process may exit right after). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#groups.keys()].map((group) => this.stop(group)));
  }

  /** SIGKILL to every tracked group, synchronously: the process may exit right after. */
  killAll(): void {
    for (const group of this.#groups.keys()) group.kill();
  }
}
