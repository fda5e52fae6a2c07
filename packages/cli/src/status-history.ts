import type { ResourceStatus } from '@converge/engine';

/** What one status says happened, read against the status seen before it for the same id. */
export interface StatusStep {
  /**
   * A graph swap replaced the resource (its params or metaparams changed, or
   * it was removed and added again): this status is the new one's, and
   * whatever was told about the old one no longer holds.
   */
  readonly replaced: boolean;
  /** The check that ended in this status changed something (or would have, in noop). */
  readonly changed: boolean;
}

/**
 * Follows each resource's statuses, one engine status event after another.
 *
 * The engine sends no "replaced" event of its own: a replacement starts its
 * counts again at 0, so it shows as counts that went down, as an event after
 * `stopped` (a removed resource's last word), or as a second `failed` or
 * `blocked` in a row with another error (a resource reports only changes of
 * state). The engine's `swap` event cannot say this: it comes after the new
 * resources started, when some may have reported already.
 */
export class StatusHistory {
  readonly #last = new Map<string, ResourceStatus>();

  /** Records `status` and says what it means next to the one before it. */
  step(status: ResourceStatus): StatusStep {
    const previous = this.#last.get(status.id);
    this.#last.set(status.id, status);
    const replaced =
      previous !== undefined &&
      (previous.state === 'stopped' ||
        status.checks < previous.checks ||
        status.changes < previous.changes ||
        (status.state === previous.state && status.checks === previous.checks && status.lastError !== previous.lastError));
    // Every check reports `running` first, so the status before a check's result holds the counts from before it.
    const changesBefore = previous === undefined || replaced ? 0 : previous.changes;
    return { replaced, changed: status.state === 'converged' && status.changes > changesBefore };
  }
}
