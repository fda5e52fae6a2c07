import { EngineError, type SourceLocation } from '@converge/engine-api';

// C0 controls other than tab, LF and CR, DEL, unpaired surrogates and the
// two non-characters: none can appear in a YAML stream, and a NUL is the
// usual sign of a binary file given by mistake.
// With the `u` flag a paired surrogate is one code point, so the surrogate
// range only matches unpaired halves.
const NOT_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uD800-\uDFFF\uFFFE\uFFFF]/u;

/** The 1-based line and column of a character offset in `text`. */
export function locationInText(text: string, offset: number, file: string): SourceLocation {
  let line = 1;
  let lineStart = 0;
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; index = text.indexOf('\n', index + 1)) {
    line += 1;
    lineStart = index + 1;
  }
  return { file, line, column: offset - lineStart + 1 };
}

/** A problem when `text` cannot be YAML at all (binary data, control characters). */
export function checkText(text: string, file: string): EngineError | undefined {
  const match = NOT_TEXT.exec(text);
  if (!match) return undefined;
  const code = match[0].charCodeAt(0);
  const what = code === 0 ? 'a NUL byte' : `the character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return new EngineError('ERR_YAML_SYNTAX', `the file contains ${what}, which cannot appear in YAML`, {
    phase: 'load',
    location: locationInText(text, match.index, file),
    hint: 'a graph file is UTF-8 text; check that the right file was given',
  });
}
