import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from './atomic-json.js';

/**
 * Pending refreshes, persisted so that a crash between a change and the
 * receiver's checkApply does not lose the notification. One small file per
 * receiving resource; present = a refresh is pending.
 */
export class RefreshStore {
  readonly #dir: string;
  #pending = new Set<string>();

  constructor(stateDir: string) {
    this.#dir = join(stateDir, 'refresh');
  }

  /** Reads what an earlier run left pending. */
  async load(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    for (const entry of await readdir(this.#dir)) {
      if (!entry.endsWith('.json')) continue;
      try {
        const saved = JSON.parse(await readFile(join(this.#dir, entry), 'utf8')) as { id?: unknown };
        if (typeof saved.id === 'string') this.#pending.add(saved.id);
      } catch {
        // A torn or foreign file is not a pending refresh; the write is
        // atomic, so this only happens when someone else wrote here.
      }
    }
  }

  isPending(id: string): boolean {
    return this.#pending.has(id);
  }

  /** Marks a refresh pending for `id`, on disk before it returns. */
  async set(id: string): Promise<void> {
    if (this.#pending.has(id)) return;
    this.#pending.add(id);
    await writeJsonAtomic(this.#file(id), { id });
  }

  async clear(id: string): Promise<void> {
    if (!this.#pending.delete(id)) return;
    await rm(this.#file(id), { force: true });
  }

  #file(id: string): string {
    return join(this.#dir, `${createHash('sha256').update(id).digest('hex').slice(0, 32)}.json`);
  }
}
