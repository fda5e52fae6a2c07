import { setTimeout as sleep } from 'node:timers/promises';
import type { WorldReachability } from './world-reachability.js';

const FIRST_DELAY_MS = 200;
const MAX_DELAY_MS = 2000;

/**
 * Runs `attempt` until it succeeds (backing off up to 2 s between tries) or
 * `signal` aborts (then resolves undefined). Failures are reported to
 * `reachability`, which logs the loss once.
 */
export async function retryUntilReachable<T>(
  attempt: () => Promise<T>,
  reachability: WorldReachability,
  signal: AbortSignal,
): Promise<T | undefined> {
  let delay = FIRST_DELAY_MS;
  while (!signal.aborted) {
    const begun = reachability.begin();
    try {
      const result = await attempt();
      reachability.succeeded(begun);
      return result;
    } catch (error) {
      if (signal.aborted) return undefined;
      reachability.failed(error);
    }
    try {
      await sleep(delay, undefined, { signal });
    } catch {
      return undefined;
    }
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
  return undefined;
}
