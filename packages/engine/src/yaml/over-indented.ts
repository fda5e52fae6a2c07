/** A `key:` line indented deeper than the `key: value` line above it. */
export interface OverIndentedKey {
  /** Offset of the deeper line's key in the text. */
  readonly offset: number;
  readonly key: string;
  /** The 1-based column the key belongs at: that of the key above it. */
  readonly column: number;
}

const KEY_WITH_VALUE = /^(\s*)(?:- )?([^\s#:][^:#]*):[ \t]+\S/;
const KEY_START = /^(\s*)([^\s#:-][^:#]*):(\s|$)/;

/**
 * Where the YAML parser says "Implicit keys need to be on a single line" or
 * "Nested mappings are not allowed in compact mappings", the usual cause in
 * a graph is a param indented deeper than the one above it (`state: exists`
 * then `  content: x`): the parser reads the second line as the rest of the
 * first one's value. Found from the text: the line holding `offset` has a
 * key with a value, and the next line that holds something is a key further
 * right. Undefined when the text does not look like that.
 */
export function overIndentedKeyAfter(text: string, offset: number): OverIndentedKey | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', offset);
  if (lineEnd === -1) return undefined;
  const above = KEY_WITH_VALUE.exec(text.slice(lineStart, lineEnd));
  if (!above) return undefined;
  // The column of the key itself: after its indent and a `- ` item mark.
  const aboveKeyColumn = text.slice(lineStart, lineEnd).indexOf(above[2] ?? '') + 1;
  let next = lineEnd + 1;
  while (next < text.length) {
    const end = text.indexOf('\n', next) === -1 ? text.length : text.indexOf('\n', next);
    const line = text.slice(next, end);
    if (line.trim() !== '' && !line.trimStart().startsWith('#')) {
      const deeper = KEY_START.exec(line);
      const indent = deeper?.[1]?.length ?? 0;
      if (!deeper || indent + 1 <= aboveKeyColumn) return undefined;
      return { offset: next + indent, key: (deeper[2] ?? '').trim(), column: aboveKeyColumn };
    }
    next = end + 1;
  }
  return undefined;
}

/**
 * The same mistake where the parser says "All mapping items must start at
 * the same column" at the deeper line itself (after a quoted or flow value,
 * `content: "x"` then `  mode: …`, or on a second deeper line): the line at
 * `offset` is a key, and the nearest line above it that is less indented is
 * a key with its value on the line. Undefined when the text does not look
 * like that (a line further left than its neighbours is another mistake).
 */
export function overIndentedKeyAt(text: string, offset: number): OverIndentedKey | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', lineStart) === -1 ? text.length : text.indexOf('\n', lineStart);
  const deeper = KEY_START.exec(text.slice(lineStart, lineEnd));
  if (!deeper) return undefined;
  const indent = deeper[1]?.length ?? 0;
  for (let end = lineStart - 1; end > 0; ) {
    const start = text.lastIndexOf('\n', end - 1) + 1;
    const line = text.slice(start, end);
    end = start - 1;
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const lineIndent = line.length - line.trimStart().length;
    // Keys as deep as this one are its over-indented neighbours: the key they all belong beside is further up.
    if (lineIndent >= indent) {
      if (lineIndent === indent && KEY_START.test(line)) continue;
      return undefined;
    }
    const above = KEY_WITH_VALUE.exec(line);
    if (!above) return undefined;
    return { offset: lineStart + indent, key: (deeper[2] ?? '').trim(), column: line.indexOf(above[2] ?? '') + 1 };
  }
  return undefined;
}
