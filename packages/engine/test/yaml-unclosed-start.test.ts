import { describe, expect, it } from 'vitest';
import { unclosedStart } from '../src/yaml/unclosed-start.js';

describe('where an unclosed bracket or quote was opened', () => {
  it('skips brackets inside quotes and comments, and closed ones', () => {
    const text = `a: [x, y]\nb: {k: v}\nc: ["[", '{', "\\"]", 'it''s']  # [ not this\nd: [1, {e: 2}, 3\nf: g\n`;
    expect(unclosedStart(text, text.length)).toEqual({ index: text.indexOf('d: [') + 3, char: '[' });
  });

  it('finds a quote that is never closed', () => {
    const text = `a: "closed"\nb: "open\nc: d\n`;
    expect(unclosedStart(text, text.length)).toEqual({ index: text.indexOf('"open'), char: '"' });
  });

  it('is undefined when every bracket and quote is closed', () => {
    const text = 'a: [1, 2]\nb: {c: [d]}\ne: "f"\n';
    expect(unclosedStart(text, text.length)).toBeUndefined();
  });
});
