import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits until `condition` holds, looking every few milliseconds; fails
 * naming `what` after `timeoutMs`. For what no engine event marks: a
 * check that finds nothing to change does not move the converged state.
 */
export async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Resolves once `signal` aborts: the watch of a test kind that has nothing to watch. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
