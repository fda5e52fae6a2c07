import type { World } from '@converge/engine-api';
import type { EtcdWorld } from '../world/etcd-world.js';
import { clusterKeys } from './cluster-keys.js';

/** A graph stored in the world for every agent started without a graph. */
export interface Deploy {
  readonly id: number;
  /** The graph file's text, as given to `converge deploy`. */
  readonly text: string;
  /** The file it came from, for messages. */
  readonly file: string;
  /** ISO time it was stored. */
  readonly time: string;
}

/**
 * Stores `text` as the next deploy and returns its id (1, 2, ...). Ids come
 * from a guarded transaction on `deploys/latest`, so two deploys at once
 * get different ids and neither is lost.
 */
export async function storeDeploy(world: EtcdWorld, text: string, file: string): Promise<Deploy> {
  for (;;) {
    const latest = await world.get(clusterKeys.latestDeploy);
    const id = latest === undefined ? 1 : Number(latest) + 1;
    const deploy: Deploy = { id, text, file, time: new Date().toISOString() };
    const puts = new Map([
      [clusterKeys.latestDeploy, String(id)],
      [clusterKeys.deploy(id), JSON.stringify(deploy)],
    ]);
    if (await world.compareAndSet(clusterKeys.latestDeploy, latest, puts)) return deploy;
  }
}

/** Reads deploy `id`; undefined when there is none. */
export async function readDeploy(world: World, id: number): Promise<Deploy | undefined> {
  const stored = await world.get(clusterKeys.deploy(id));
  if (stored === undefined) return undefined;
  const parsed = JSON.parse(stored) as Partial<Deploy>;
  if (typeof parsed.text !== 'string' || typeof parsed.file !== 'string') return undefined;
  return { id, text: parsed.text, file: parsed.file, time: String(parsed.time ?? '') };
}

/**
 * Follows the newest deploy id: yields the current one (if any) at once,
 * then each newer one. Ends when `signal` aborts.
 */
export async function* followDeploys(world: World, signal: AbortSignal): AsyncIterable<number> {
  let newest = 0;
  for await (const batch of world.watch(clusterKeys.latestDeploy, signal)) {
    for (const change of batch) {
      if (change.key !== clusterKeys.latestDeploy || change.value === undefined) continue;
      const id = Number(change.value);
      if (Number.isInteger(id) && id > newest) newest = id;
    }
    if (newest > 0 && !signal.aborted) yield newest;
  }
}
