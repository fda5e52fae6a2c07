import { isResourcesLine, lineFurtherLeft } from './parent-line.js';

/** A key written without its colon, on the line where the YAML parser first trips over it. */
export interface KeyWithoutColon {
  /** Offset of the key in the text. */
  readonly offset: number;
  readonly key: string;
  /** What goes after the colon on that line: a block scalar's indicator (`|`, `>-`), else nothing. */
  readonly after: string;
}

/** `  file`: one word alone on its line (a comment after it aside). */
const BARE_WORD = /^( *)([A-Za-z_][\w.-]*)[ \t]*(?:#.*)?$/;
/** `    content |`, `- content >-`: a word, then a block scalar's indicator with no colon between. */
const WORD_THEN_BLOCK = /^((?: *- )* *)([A-Za-z_][\w.-]*)[ \t]+([|>][-+0-9]*)[ \t]*(?:#.*)?$/;
const LIST_ITEM = /^( *)-(?:[ \t]|$)/;

interface TextLine {
  readonly start: number;
  readonly end: number;
  readonly line: string;
}

function lineAt(text: string, offset: number): TextLine {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', start) === -1 ? text.length : text.indexOf('\n', start);
  return { start, end, line: text.slice(start, end).replace(/\r$/, '') };
}

const holdsSomething = (line: string): boolean => line.trim() !== '' && !line.trimStart().startsWith('#');

/** The nearest line above the one starting at `start` that holds something. */
function lineAbove(text: string, start: number): TextLine | undefined {
  for (let end = start - 1; end > 0; ) {
    const above = lineAt(text, end);
    if (holdsSomething(above.line)) return above;
    end = above.start - 1;
  }
  return undefined;
}

/**
 * The YAML parser reads a word without its colon as the start of a plain
 * value that goes on over the next lines, and says "Implicit keys need to be
 * on a single line" or "Implicit map keys need to be followed by map values"
 * there (or, for the first key of a mapping, "A block sequence may not be
 * used as an implicit map key" at the list below it), then trips over the
 * lines that follow. Found from the text: the line holding `offset`, or the
 * one above its list item, is a kind's key written `file` above its `- `
 * list (further in than the word, or as far where a kind or top-level key
 * goes), or the line holding `offset`, or the one above it when that is
 * further left, is a key written `content |` before its block. Undefined when the text does not look like that.
 */
export function keyWithoutColonAt(text: string, offset: number): KeyWithoutColon | undefined {
  const at = lineAt(text, offset);
  // With a comment after it, the parser takes the line as a value, and trips over the block's first line.
  const header = WORD_THEN_BLOCK.test(at.line) ? at : lineAbove(text, at.start);
  const block = header === undefined ? null : WORD_THEN_BLOCK.exec(header.line);
  if (header && block && (header === at || (block[1]?.length ?? 0) < at.line.length - at.line.trimStart().length)) {
    return { offset: header.start + (block[1]?.length ?? 0), key: block[2] ?? '', after: ` ${block[3] ?? ''}` };
  }
  const word = BARE_WORD.test(at.line) ? at : LIST_ITEM.test(at.line) ? lineAbove(text, at.start) : undefined;
  return word ? bareKeyOfList(text, word) : undefined;
}

function bareKeyOfList(text: string, { start, end, line }: TextLine): KeyWithoutColon | undefined {
  const bare = BARE_WORD.exec(line);
  if (!bare) return undefined;
  const indent = bare[1]?.length ?? 0;
  const next = text.slice(end + 1).split('\n').find(holdsSomething);
  const item = next === undefined ? null : LIST_ITEM.exec(next);
  if (!item) return undefined;
  // A list as far in as the word is its value only where a kind or a top-level key goes: elsewhere the word may be an item that lost its `- `.
  const listIndent = item[1]?.length ?? 0;
  const keyOfList = listIndent > indent || (listIndent === indent && (indent === 0 || isResourcesLine(lineFurtherLeft(text, start, indent))));
  return keyOfList ? { offset: start + indent, key: bare[2] ?? '', after: '' } : undefined;
}
