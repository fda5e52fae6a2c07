import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Converger } from '../src/runtime/converger.js';

describe('Converger', () => {
  it('converges while a resource is polled and finds nothing to change (only changes restart the quiet time)', async () => {
    const converger = new Converger(0.3);
    const startedAt = performance.now();
    // A poll every 50 ms, each a short busy spell that changes nothing.
    const polling = setInterval(() => {
      converger.busy();
      setTimeout(() => converger.idle(), 5);
    }, 50);
    try {
      await converger.converged.when((value) => value, AbortSignal.timeout(3000));
      const tookMs = performance.now() - startedAt;
      expect(tookMs).toBeGreaterThanOrEqual(290);
      expect(tookMs).toBeLessThan(1500);
      // A poll that changes nothing leaves it converged.
      converger.busy();
      expect(converger.converged.get()).toBe(true);
      converger.idle();
      expect(converger.converged.get()).toBe(true);
    } finally {
      clearInterval(polling);
      converger.close();
    }
  });

  it('a change ends convergence and starts the quiet time again; a busy resource holds it back', async () => {
    const converger = new Converger(0.2);
    converger.check();
    await converger.converged.when((value) => value, AbortSignal.timeout(3000));
    converger.busy();
    converger.changed();
    expect(converger.converged.get()).toBe(false);
    // Busy past the quiet time: not converged until it is idle.
    await sleep(300);
    expect(converger.converged.get()).toBe(false);
    const idleAt = performance.now();
    converger.idle();
    // The quiet time ran out while it was busy: converged as soon as it is idle.
    expect(converger.converged.get()).toBe(true);
    converger.changed();
    expect(converger.converged.get()).toBe(false);
    await converger.converged.when((value) => value, AbortSignal.timeout(3000));
    expect(performance.now() - idleAt).toBeGreaterThanOrEqual(190);
    converger.close();
  });

  it('with timeout 0 converges as soon as nothing is busy, and never with -1', async () => {
    const atOnce = new Converger(0);
    atOnce.busy();
    atOnce.idle();
    expect(atOnce.converged.get()).toBe(true);
    const never = new Converger(-1);
    never.busy();
    never.idle();
    await sleep(50);
    expect(never.converged.get()).toBe(false);
    atOnce.close();
    never.close();
  });
});
