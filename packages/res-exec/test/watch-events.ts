import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { LiveExec } from './helpers.js';

/** Longer than a burst of events takes to be told (and a new folder to be walked). */
export const SETTLE_MS = 150;

/** Runs `change` and waits for the event it must cause. */
export async function expectEvent(live: LiveExec, change: () => void): Promise<void> {
  const next = live.harness.waitForEvent();
  change();
  await next;
  await sleep(SETTLE_MS);
}

/** Runs `change` and checks that no event follows. */
export async function expectNoEvent(live: LiveExec, change: () => void): Promise<void> {
  await sleep(SETTLE_MS);
  const before = live.harness.events();
  change();
  await sleep(SETTLE_MS);
  expect(live.harness.events()).toBe(before);
}

/** Ends the watch and cleans the resource up. */
export async function stop(live: LiveExec, watching: Promise<void>): Promise<void> {
  live.abort();
  await watching;
  await live.res.cleanup();
}
