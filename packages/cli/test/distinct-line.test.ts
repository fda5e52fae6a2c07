import { describe, expect, it } from 'vitest';
import { distinctLine, oneLine } from '../src/terminal-text.js';

/** Reads distinctLine's text back: `\\` a backslash, `\n` a newline, `\uXXXX` that character, any other backslash itself. */
function readBack(text: string): string {
  return text.replace(/\\(\\|n|u[0-9a-f]{4})/g, (escape: string, what: string) =>
    what === '\\' ? '\\' : what === 'n' ? '\n' : String.fromCharCode(Number.parseInt(what.slice(1), 16)),
  );
}

describe('distinctLine', () => {
  it('writes a real newline and a typed backslash-n differently, and leaves other backslashes alone (QA: one DOT node for two resources)', () => {
    expect(oneLine('new\nline')).toBe(oneLine('new\\nline'));
    expect(distinctLine('new\nline')).toBe('new\\nline');
    expect(distinctLine('new\\nline')).toBe('new\\\\nline');
    expect(distinctLine('z\u200b')).toBe('z\\u200b');
    expect(distinctLine('z\\u200b')).toBe('z\\\\u200b');
    expect(distinctLine('C:\\temp\\')).toBe('C:\\temp\\');
    expect(distinctLine('a\\\u001b')).toBe('a\\\\\\u001b');
    expect(distinctLine('\ufffe\uffff\ud800 \udc00 \ud83d\ude00')).toBe('\\ufffe\\uffff\\ud800 \\udc00 \ud83d\ude00');
  });

  it('can be read back, so two names never give the same text', () => {
    // Halves of a surrogate pair, which may meet as a whole pair or stay alone.
    const alphabet = ['\\', 'n', 'u', '0', '1', 'b', '\n', '\u001b', '\u200b', '\t', 'x', '\ud83d', '\ude00', '\uffff'];
    let seed = 7;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    for (let round = 0; round < 5000; round++) {
      const name = Array.from({ length: next() % 9 }, () => alphabet[next() % alphabet.length]).join('');
      const shown = distinctLine(name);
      expect(shown).not.toMatch(/[\n\u001b\u200b]/);
      expect(readBack(shown), JSON.stringify(name)).toBe(name);
    }
  });
});
