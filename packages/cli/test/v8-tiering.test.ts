import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CONVERGE_V8_FLAGS } from '../src/v8-tiering.js';

describe('the V8 settings converge runs with', () => {
  // v8.setFlagsFromString ignores a flag V8 does not know: a Node whose V8
  // dropped or renamed one would silently run without it. On the command
  // line an unknown flag is refused (exit 9), so ask there.
  it('are flags this Node knows', () => {
    expect(CONVERGE_V8_FLAGS.length).toBeGreaterThan(0);
    const out = execFileSync(process.execPath, [...CONVERGE_V8_FLAGS, '-e', 'process.stdout.write("ran")'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBe('ran');
  });

  it('refuse an unknown flag the same way (so the test above can fail)', () => {
    expect(() => execFileSync(process.execPath, ['--interrupt-budget-that-is-not', '-e', '0'], { stdio: 'ignore' })).toThrow();
  });
});
