import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonDir, unreadableRecord, writeJsonAtomic } from './atomic-json.js';

/** What a resource was before converge first changed it, as params that restore it. */
export interface StoredReversal {
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly params: Record<string, unknown>;
}

/**
 * Reversals of resources with `meta: {reverse: true}`, one file each in the
 * state dir (0600: they may hold file content), written atomically before
 * the first change, so they outlive the run and the graph that made them.
 */
export class ReversalStore {
  readonly #dir: string;
  #entries = new Map<string, StoredReversal>();

  constructor(stateDir: string) {
    this.#dir = join(stateDir, 'reversals');
  }

  /** Reads the reversals an earlier run stored; `warn` is told of a record that cannot be read. */
  load(warn: (message: string) => void = () => {}): void {
    for (const value of readJsonDir(this.#dir, (file, error) => warn(unreadableRecord(file, 'a reversal', error)))) {
      const saved = (value ?? {}) as Partial<StoredReversal>;
      if (typeof saved.id === 'string' && typeof saved.kind === 'string' && typeof saved.name === 'string' && typeof saved.params === 'object' && saved.params !== null) {
        this.#entries.set(saved.id, saved as StoredReversal);
      }
    }
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  get(id: string): StoredReversal | undefined {
    return this.#entries.get(id);
  }

  all(): StoredReversal[] {
    return [...this.#entries.values()];
  }

  async save(reversal: StoredReversal): Promise<void> {
    await writeJsonAtomic(this.#file(reversal.id), reversal);
    this.#entries.set(reversal.id, reversal);
  }

  async delete(id: string): Promise<void> {
    this.#entries.delete(id);
    await rm(this.#file(id), { force: true });
  }

  #file(id: string): string {
    return join(this.#dir, `${createHash('sha256').update(id).digest('hex').slice(0, 32)}.json`);
  }
}
