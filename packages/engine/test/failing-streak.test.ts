import { describe, expect, it } from 'vitest';
import { DEFAULT_META, EngineError } from '@converge/engine-api';
import { FailingStreak } from '../src/runtime/failing-streak.js';
import { Retries } from '../src/runtime/retries.js';

describe('FailingStreak', () => {
  it('keeps failing once failures without a start that stayed up for the limit have lasted the limit', () => {
    const streak = new FailingStreak(1000);
    expect(streak.failed(0, 10)).toBe(false);
    expect(streak.failed(110, 120)).toBe(false);
    expect(streak.failed(900, 950)).toBe(false);
    expect(streak.failed(1005, 1010)).toBe(true);
    expect(streak.describe(1010)).toBe('4 failures in 1 s');
  });

  it('starts again after a start that stayed up for the limit', () => {
    const streak = new FailingStreak(1000);
    expect(streak.failed(0, 10)).toBe(false);
    // Up from 100 ms to 1.2 s: a working watch that failed once.
    expect(streak.failed(100, 1200)).toBe(false);
    expect(streak.failed(1300, 1400)).toBe(false);
    expect(streak.describe(1400)).toBe('2 failures in 0.2 s');
  });
});

describe('Retries: a check retried without limit', () => {
  const meta = { ...DEFAULT_META, retry: -1, delay: 200 };
  const failure = new EngineError('ERR_RESOURCE_CHECK_APPLY', 'cmd /bin/false exited with code 1', { resource: 'exec[never]', phase: 'checkApply' });

  it('in a run that ends once converged, keeps failing once it has failed for the quiet time, and at least 5 s (a one-shot run: quiet time 0)', () => {
    const oneShot = new Retries(meta, 0);
    expect(oneShot.keepsFailing(failure, 100)).toBeUndefined();
    expect(oneShot.keepsFailing(failure, 4_000)).toBeUndefined();
    const givenUp = oneShot.keepsFailing(failure, 5_100);
    expect(givenUp?.message).toBe('its check keeps failing (3 failures in 5 s, retry: -1), so the graph cannot converge: cmd /bin/false exited with code 1');
    expect(givenUp).toMatchObject({ code: 'ERR_RESOURCE_CHECK_APPLY', resource: 'exec[never]', phase: 'checkApply' });
    const quietEight = new Retries(meta, 8_000);
    expect(quietEight.keepsFailing(failure, 0)).toBeUndefined();
    expect(quietEight.keepsFailing(failure, 6_000)).toBeUndefined();
    expect(quietEight.keepsFailing(failure, 8_000)).toBeDefined();
  });

  it('begins a new streak after a success; a run that goes on, or a limited retry, never gives up this way', () => {
    const retries = new Retries(meta, 0);
    expect(retries.keepsFailing(failure, 0)).toBeUndefined();
    retries.succeeded();
    expect(retries.keepsFailing(failure, 6_000)).toBeUndefined();
    expect(retries.keepsFailing(failure, 11_000)).toBeDefined();
    expect(new Retries(meta, undefined).keepsFailing(failure, 60_000)).toBeUndefined();
    const limited = new Retries({ ...meta, retry: 1_000 }, 0);
    expect(limited.keepsFailing(failure, 0)).toBeUndefined();
    expect(limited.keepsFailing(failure, 60_000)).toBeUndefined();
  });
});
