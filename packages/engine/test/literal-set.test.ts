import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LiteralSet } from '../src/runtime/literal-set.js';

/** What LiteralSet replaces: a global regex alternation of the values, longest first (usable while they are small). */
function byRegex(values: readonly string[], text: string, wholeTokenBelow: number): string {
  const alternatives = [...new Set(values)]
    .filter((value) => value.length > 0)
    .sort((a, b) => b.length - a.length)
    .map((value) => {
      const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return value.length < wholeTokenBelow ? `(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])` : escaped;
    });
  return alternatives.length === 0 ? text : text.replace(new RegExp(alternatives.join('|'), 'g'), (value) => `<${value}>`);
}

const wholeTokenIfShorter =
  (below: number) =>
  (text: string, start: number, value: string): boolean =>
    value.length >= below || (!/[A-Za-z0-9]/.test(text.charAt(start - 1)) && !/[A-Za-z0-9]/.test(text.charAt(start + value.length)));

// Few letters, so that values overlap, nest and repeat.
const piece = fc.string({ unit: fc.constantFrom('a', 'b', 'A', '1', '-', '.', '|', ' '), minLength: 0, maxLength: 6 });

describe('a set of literals replaced in a text', () => {
  // Up to 16 values each is looked for on its own; more, in one pass: both as the regex did.
  for (const [path, count] of [
    ['a few values', fc.integer({ min: 0, max: 16 })],
    ['many values', fc.integer({ min: 17, max: 60 })],
  ] as const) {
    it(`replaces as an alternation of them longest first would (${path}), whole tokens only below a length or not`, () => {
      fc.assert(
        fc.property(
          count.chain((n) => fc.array(piece, { minLength: n, maxLength: n })),
          fc.array(piece, { maxLength: 12 }).map((parts) => parts.join('')),
          fc.constantFrom(0, 3),
          (values, text, below) => {
            const set = new LiteralSet(values, below === 0 ? undefined : wholeTokenIfShorter(below));
            expect(set.replace(text, (value) => `<${value}>`)).toBe(byRegex(values, text, below));
          },
        ),
        { numRuns: 400 },
      );
    });
  }

  it('holds values no regex can (V8 refuses an alternation with one of 32,768 characters or more)', () => {
    const long = 'x'.repeat(65_535);
    const other = `${'y'.repeat(32_767)}z`;
    expect(() => 'a'.replace(new RegExp(`${long}|${other}`, 'g'), '')).toThrow(/too large/);
    const set = new LiteralSet([long, other, 'short']);
    expect(set.replace(`a ${long} b ${other} c short`, () => '#')).toBe('a # b # c #');
    expect(set.replace('nothing here', () => '#')).toBe('nothing here');
  });

  it('gives back the same text when nothing is found, and ignores empty values', () => {
    const text = 'a line with nothing to replace';
    expect(new LiteralSet(['', 'zzz']).replace(text, () => '#')).toBe(text);
    expect(new LiteralSet([]).replace(text, () => '#')).toBe(text);
  });
});
