import { describe, expect, it } from 'vitest';
import { LineEnds, LineTooLong } from '../src/line-ends.js';

/** How many non-empty lines `chunks` end, read one after the other. */
function linesIn(chunks: string[], lines = new LineEnds(8)): number {
  let count = 0;
  for (const chunk of chunks) lines.push(Buffer.from(chunk), () => count++);
  lines.end(() => count++);
  return count;
}

describe('LineEnds', () => {
  it('counts non-empty lines ending in \\n, as mgmt’s bufio.Scanner splits them (a \\r before \\n is dropped)', () => {
    expect(linesIn(['one\n\ntwo\n'])).toBe(2);
    expect(linesIn(['\n', '\r\n', '\n\r\n'])).toBe(0);
    expect(linesIn(['a\r\n', 'b\r', '\n'])).toBe(2);
    expect(linesIn(['on', 'e', '\n'])).toBe(1);
    // A last line without a newline counts when the stream ends.
    expect(linesIn(['one\ntw', 'o'])).toBe(2);
  });

  it('refuses a line longer than the limit, across chunks and before it ends', () => {
    expect(linesIn(['12345678\n', '1234567\r\n'])).toBe(2);
    expect(() => linesIn(['123456789\n'])).toThrow(LineTooLong);
    expect(() => linesIn(['12345', '6789'])).toThrow(LineTooLong);
    expect(() => linesIn(['ok\n12345', '6789'])).toThrow('a line longer than 8 bytes');
  });
});
