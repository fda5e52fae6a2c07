import { EventValue } from '../runtime/event-value.js';
import type { EtcdWorld } from '../world/etcd-world.js';
import { clusterKeys } from './cluster-keys.js';

/** How a schedule picks hosts among the live candidates. */
export type ScheduleStrategy = 'first' | 'rr';
export const SCHEDULE_STRATEGIES: readonly ScheduleStrategy[] = ['first', 'rr'];

/** A graph's `schedule:`: which hosts run it. */
export interface ScheduleSpec {
  /**
   * first: the `max` hosts that joined first (etcd create order, as an etcd
   * election picks its leader); rr: `max` hosts taken round-robin from a
   * start that depends on the schedule's name, so different schedules land
   * on different hosts.
   */
  readonly strategy: ScheduleStrategy;
  /** How many hosts run it (at least 1). */
  readonly max: number;
}

/**
 * One schedule seen from one host. Every candidate holds a key bound to its
 * lease; every host computes the same choice from the same live candidates,
 * so no leader is needed, and when a chosen host dies its key goes with its
 * lease and the next candidate takes its place (re-election).
 */
export class Scheduler {
  /** The hosts chosen now (empty until the first read). */
  readonly chosen = new EventValue<readonly string[]>([]);
  readonly #world: EtcdWorld;
  readonly #name: string;
  readonly #spec: ScheduleSpec;
  readonly #prefix: string;

  constructor(world: EtcdWorld, name: string, spec: ScheduleSpec) {
    this.#world = world;
    this.#name = name;
    this.#spec = spec;
    this.#prefix = `${clusterKeys.schedule(name)}/`;
  }

  /** True when this host is among the chosen. */
  get mine(): boolean {
    return this.chosen.get().includes(this.#world.hostname);
  }

  /** Stands as a candidate and follows the choice until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const key = `${this.#prefix}${this.#world.hostname}`;
    await this.#world.setLeased(key, this.#world.hostname);
    try {
      for await (const _batch of this.#world.watch(this.#prefix, signal)) {
        const candidates = await this.#candidatesInJoinOrder();
        const next = chooseHosts(this.#name, this.#spec, candidates);
        if (next.join('\n') !== this.chosen.get().join('\n')) this.chosen.set(next);
      }
    } finally {
      await this.#world.deleteLeased(key);
    }
  }

  async #candidatesInJoinOrder(): Promise<string[]> {
    const keys = await this.#world.namespace.getAll().prefix(this.#prefix).sort('Create', 'Ascend').keys();
    return keys.map((key) => key.slice(this.#prefix.length));
  }
}

/** The hosts a schedule picks from candidates listed in the order they joined. */
export function chooseHosts(name: string, spec: ScheduleSpec, candidates: readonly string[]): string[] {
  const count = Math.min(spec.max, candidates.length);
  if (spec.strategy === 'first') return candidates.slice(0, count);
  const sorted = [...candidates].sort();
  const start = sorted.length === 0 ? 0 : stableHash(name) % sorted.length;
  return Array.from({ length: count }, (_, index) => sorted[(start + index) % sorted.length] as string);
}

/** FNV-1a: the same on every host and every run. */
function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
