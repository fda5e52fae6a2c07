import { describe, expect, it } from 'vitest';
import { FailingStreak } from '../src/runtime/failing-streak.js';

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
