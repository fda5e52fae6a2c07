import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonDir, unreadableRecord, writeJsonAtomic } from './atomic-json.js';

/**
 * Pending refreshes, persisted so that a crash between a change and the
 * receiver's checkApply does not lose the notification. One small file per
 * receiving resource; present = a refresh is pending. A sender with notify
 * edges also writes an intent before its checkApply: an intent found at
 * start means the sender may have changed something just before a crash, so
 * its receivers are refreshed (a spare refresh is safer than a lost one).
 */
export class RefreshStore {
  readonly #dir: string;
  /** A dry run (--noop): refreshes are kept in memory only, and what is on disk stays as the last real run left it. */
  readonly #readOnly: boolean;
  #pending = new Set<string>();
  #intents = new Set<string>();
  /** How many refreshes each id was sent in this run, so a receiver clears only those it saw before its check. */
  #sent = new Map<string, number>();

  constructor(stateDir: string, options: { readOnly?: boolean } = {}) {
    this.#dir = join(stateDir, 'refresh');
    this.#readOnly = options.readOnly ?? false;
  }

  /** Reads what an earlier run left pending; `warn` is told of a record that cannot be read. */
  load(warn: (message: string) => void = () => {}): void {
    for (const value of readJsonDir(this.#dir, (file, error) => warn(unreadableRecord(file, 'a pending refresh', error)))) {
      const saved = (value ?? {}) as { id?: unknown; intent?: unknown };
      if (typeof saved.id !== 'string') continue;
      if (saved.intent === true) this.#intents.add(saved.id);
      else this.#pending.add(saved.id);
    }
  }

  /** The ids with a refresh pending. */
  pendingIds(): string[] {
    return [...this.#pending];
  }

  isPending(id: string): boolean {
    return this.#pending.has(id);
  }

  /** A count that grows with every refresh sent to `id` (pending or not): what `clear` compares. */
  sentCount(id: string): number {
    return this.#sent.get(id) ?? 0;
  }

  /** Marks a refresh pending for `id`, on disk before it returns. */
  async set(id: string): Promise<void> {
    this.#sent.set(id, this.sentCount(id) + 1);
    if (this.#pending.has(id)) return;
    this.#pending.add(id);
    if (!this.#readOnly) await writeJsonAtomic(this.#file(id), { id });
  }

  /**
   * Clears the refresh of `id` once its check has acted on it. With
   * `seenCount` (its sentCount when that check began), a refresh sent while
   * the check ran is kept: the check acted on an older change (a restart
   * that read the config before its second edit), so it runs again.
   * Returns false when one was kept. The record is gone when the call
   * returns (removeRecord); a failure to remove it is a rejection.
   */
  async clear(id: string, seenCount?: number): Promise<boolean> {
    if (seenCount !== undefined && this.sentCount(id) !== seenCount) return false;
    if (!this.#pending.delete(id)) return true;
    if (!this.#readOnly) removeRecord(this.#file(id));
    return true;
  }

  /** Records, on disk, that `id` is about to run a checkApply that may notify. */
  async setIntent(id: string): Promise<void> {
    this.#intents.add(id);
    if (!this.#readOnly) await writeJsonAtomic(this.#file(id, 'intent-'), { id, intent: true });
  }

  async clearIntent(id: string): Promise<void> {
    if (!this.#intents.delete(id)) return;
    if (!this.#readOnly) removeRecord(this.#file(id, 'intent-'));
  }

  /** Senders an earlier run left in the middle of a checkApply. */
  leftIntents(): string[] {
    return [...this.#intents];
  }

  #file(id: string, prefix = ''): string {
    return join(this.#dir, `${prefix}${createHash('sha256').update(id).digest('hex').slice(0, 32)}.json`);
  }
}

/**
 * Removes a record at once, with one synchronous call. Through libuv's pool
 * the removal waited behind whatever else was queued there: with a change
 * notifying 100 commands, a record stayed up to a second after its command
 * was seen to succeed, and a crash in that time ran the command again (QA).
 */
function removeRecord(file: string): void {
  rmSync(file, { force: true });
}
