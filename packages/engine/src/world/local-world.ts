import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { World, WorldChange } from '@converge/engine-api';
import { writeJsonAtomic } from '../runtime/atomic-json.js';
import { EventValue } from '../runtime/event-value.js';

/**
 * The world of a single host: keys in memory, persisted atomically to one
 * JSON file in the state dir so values survive a restart. Watches follow
 * the two-phase pattern: first everything there, then changes.
 */
export class LocalWorld implements World {
  readonly hostname: string;
  readonly #file: string | undefined;
  #data = new Map<string, string>();
  #changes = new EventValue<readonly WorldChange[]>([]);
  #loaded: Promise<void> | undefined;
  #saving: Promise<void> = Promise.resolve();

  /** `file` undefined keeps the world in memory only (tests). */
  constructor(hostname: string, file?: string) {
    this.hostname = hostname;
    this.#file = file;
  }

  async get(key: string): Promise<string | undefined> {
    await this.#load();
    return this.#data.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    await this.#load();
    if (this.#data.get(key) === value) return;
    this.#data.set(key, value);
    await this.#publish([{ key, value }]);
  }

  async delete(key: string): Promise<void> {
    await this.#load();
    if (!this.#data.delete(key)) return;
    await this.#publish([{ key, value: undefined }]);
  }

  async list(prefix: string): Promise<ReadonlyMap<string, string>> {
    await this.#load();
    return new Map([...this.#data].filter(([key]) => key.startsWith(prefix)));
  }

  async *watch(prefix: string, signal: AbortSignal): AsyncIterable<readonly WorldChange[]> {
    await this.#load();
    const watcher = this.#changes.watch();
    try {
      const existing = [...(await this.list(prefix))].map(([key, value]) => ({ key, value }));
      yield existing;
      while (!signal.aborted) {
        let batch: readonly WorldChange[];
        try {
          batch = await watcher.next(signal);
        } catch {
          return;
        }
        const mine = batch.filter((change) => change.key.startsWith(prefix));
        if (mine.length > 0) yield mine;
      }
    } finally {
      watcher.close();
    }
  }

  async #publish(changes: readonly WorldChange[]): Promise<void> {
    this.#changes.set(changes);
    await this.#save();
  }

  #load(): Promise<void> {
    this.#loaded ??= (async () => {
      if (!this.#file) return;
      try {
        const saved = JSON.parse(await readFile(this.#file, 'utf8')) as Record<string, unknown>;
        for (const [key, value] of Object.entries(saved)) if (typeof value === 'string') this.#data.set(key, value);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    })();
    return this.#loaded;
  }

  #save(): Promise<void> {
    const file = this.#file;
    if (!file) return Promise.resolve();
    // Saves are chained so the file always ends with the newest snapshot.
    this.#saving = this.#saving.then(async () => {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      await writeJsonAtomic(file, Object.fromEntries(this.#data));
    });
    return this.#saving;
  }
}
