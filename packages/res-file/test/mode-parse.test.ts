import { describe, expect, it } from 'vitest';
import { parseMode, resolveMode } from '../src/mode.js';

describe('parseMode', () => {
  it('gives the same answer for a mode it has parsed before, shared (a graph has a few modes for thousands of files)', () => {
    const first = parseMode('0640');
    expect(first).toEqual({ kind: 'absolute', bits: 0o640 });
    expect(parseMode('0640')).toBe(first);
    expect(parseMode('u=rw,g=r')).toBe(parseMode('u=rw,g=r'));
    expect(parseMode(644)).toEqual({ kind: 'absolute', bits: 0o644 });
  });

  it('keeps answering right past the number of modes it keeps (emptied, not grown without end)', () => {
    for (let bits = 0; bits < 600; bits++) {
      const text = `0${bits.toString(8)}`;
      expect(parseMode(text)).toEqual({ kind: 'absolute', bits });
    }
    expect(parseMode('0999')).toBe('"0999" is not an octal mode: its digits must be 0 to 7');
    expect(parseMode('0999')).toBe('"0999" is not an octal mode: its digits must be 0 to 7');
    const symbolic = parseMode('u=rwx,g=rx,o=');
    if (typeof symbolic === 'string') throw new Error(symbolic);
    expect(resolveMode(symbolic, 0o777)).toBe(0o750);
  });
});
