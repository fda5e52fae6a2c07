import { describe, expect, it } from 'vitest';
import { unclosedFlowStart } from '../src/yaml/unclosed-flow.js';

describe('where an unclosed bracket was opened', () => {
  it('skips brackets inside quotes and comments, and closed ones', () => {
    const text = `a: [x, y]\nb: {k: v}\nc: ["[", '{', "\\"]"]  # [ not this\nd: [1, {e: 2}, 3\nf: g\n`;
    expect(unclosedFlowStart(text, text.length)).toBe(text.indexOf('d: [') + 3);
  });

  it('is undefined when every bracket is closed', () => {
    expect(unclosedFlowStart('a: [1, 2]\nb: {c: [d]}\n', 22)).toBeUndefined();
  });
});
