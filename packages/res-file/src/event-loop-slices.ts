import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** How long a run of synchronous file calls (a big copy's check, a purge) holds the event loop before it lets it go on. */
const SLICE_MS = 5;

let sliceStartedAt = performance.now();

/**
 * Yields to the event loop once the current slice of work has run for
 * SLICE_MS: other resources' checks and watch events go on between the
 * slices of a check that makes thousands of synchronous calls.
 */
export async function letOthersRun(): Promise<void> {
  if (performance.now() - sliceStartedAt < SLICE_MS) return;
  await nextTurn();
  sliceStartedAt = performance.now();
}
