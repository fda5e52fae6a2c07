/** A line of a block scalar (`content: |`) that starts with a tab. */
export interface TabInBlock {
  /** Offset of the line's start in the text. */
  readonly offset: number;
  /** The block's header as written (`content: |`), and its 1-based line. */
  readonly header: string;
  readonly headerLine: number;
  /** The spaces a line of the block starts with. */
  readonly indent: number;
  /** The line as it should be written, a tab shown as `\t`. */
  readonly fixed: string;
  /** The 1-based lines of the same block, after this one, that start with a tab too. */
  readonly laterLines: readonly number[];
  /** The line without the spaces and tabs it starts with. */
  readonly rest: string;
  /** For a `key: |` block, the column (0-based) of its key: where the keys beside it are. */
  readonly keyIndent?: number;
  /** The nearest line above it that is not blank, inside the block (the header when there is none). */
  readonly above: string;
  /** The text split in lines, as read here. */
  readonly lines: readonly Line[];
  /** The 0-based index of the header's line in `lines`. */
  readonly headerIndex: number;
}

/** `key: |`, `- |`, `key: >-`, `key: |2 # note`: a line that starts a block scalar. */
const BLOCK_HEADER = /^((?:[ ]*- )*[ ]*)(?:([^\s#][^#]*?):[ \t]+)?[|>][-+0-9]*[ \t]*(?:#.*)?$/;
/** Spaces, then a tab: the tab is where the line's indentation goes on. */
const TAB_LED = /^( *)\t/;

export interface Line {
  readonly start: number;
  readonly text: string;
}

export function linesOf(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (const line of text.split('\n')) {
    lines.push({ start, text: line.endsWith('\r') ? line.slice(0, -1) : line });
    start += line.length + 1;
  }
  return lines;
}

export const spacesOf = (line: string): number => line.length - line.trimStart().length;
export const isBlank = (line: string): boolean => line.trim() === '';

/**
 * Where the YAML parser trips over a line inside a block scalar that starts
 * with a tab (a Makefile pasted into `content: |`), it says "Block scalar
 * lines must not be less indented than their first line", "Tabs are not
 * allowed as indentation" or the like, then reads the rest of the line as
 * a key. Found from the text: the line holding `offset` starts with a tab
 * (after fewer spaces than the block's lines have), and the lines above it,
 * up to a `key: |` or `key: >` line, are the block's (blank, indented as
 * deep as its lines, or tab-led too). Undefined when the text does not look
 * like that.
 */
export function tabInBlockScalarAt(text: string, offset: number): TabInBlock | undefined {
  // Most errors are on a line that starts otherwise: told without reading the whole text.
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  if (!TAB_LED.test(text.slice(lineStart, text.indexOf('\t', lineStart) + 1))) return undefined;
  const lines = linesOf(text);
  const at = lines.findLastIndex((line) => line.start <= offset);
  const tabbed = lines[at];
  const lead = tabbed === undefined ? null : TAB_LED.exec(tabbed.text);
  if (!tabbed || !lead) return undefined;
  // Up to the block's header: every line between is blank, tab-led, or a line of the block.
  let headerIndex = -1;
  for (let index = at - 1; index >= 0; index--) {
    const line = (lines[index] as Line).text;
    if (isBlank(line) || TAB_LED.test(line)) continue;
    if (BLOCK_HEADER.test(line)) {
      headerIndex = index;
      break;
    }
    // A line of the block is indented deeper than the tab line's spaces; else the tab line is not inside a block.
    if (spacesOf(line) <= (lead[1]?.length ?? 0)) return undefined;
  }
  const header = lines[headerIndex];
  if (!header) return undefined;
  // The column the block's lines must go past: its key's (after any `- ` item marks), or for a list's item (`- |`) its dash's.
  const parts = BLOCK_HEADER.exec(header.text);
  const marks = (parts?.[1] ?? '').length;
  const headerIndent = parts?.[2] === undefined ? Math.max(0, marks - 2) : marks;
  // The block's indentation is its first line's (the first that is neither blank nor tab-led), else two past the header's.
  const firstLine = lines.slice(headerIndex + 1).find((line) => !isBlank(line.text) && !TAB_LED.test(line.text));
  const indent = firstLine && spacesOf(firstLine.text) > headerIndent ? spacesOf(firstLine.text) : headerIndent + 2;
  if ((lead[1]?.length ?? 0) >= indent) return undefined;
  // A line between them less indented than the block's lines ended it: the tab line is past it.
  if (lines.slice(headerIndex + 1, at).some((line) => !isBlank(line.text) && !TAB_LED.test(line.text) && spacesOf(line.text) < indent)) return undefined;
  // The block goes on while lines are blank, tab-led or indented as deep as its lines.
  const laterLines: number[] = [];
  for (let index = at + 1; index < lines.length; index++) {
    const line = (lines[index] as Line).text;
    if (TAB_LED.test(line) && (TAB_LED.exec(line)?.[1]?.length ?? 0) < indent) laterLines.push(index + 1);
    else if (!isBlank(line) && spacesOf(line) < indent) break;
  }
  const rest = tabbed.text.slice(lead[1]?.length ?? 0);
  const shown = rest.replaceAll('\t', '\\t');
  return {
    offset: tabbed.start,
    // Its key and indicator (`content: |`), or a list item's `- |`.
    header: (parts?.[2] === undefined ? `- ${header.text.trim().replace(/^(- )+/, '')}` : header.text.trim().replace(/^(- )+/, '')).replace(/[ \t]*#.*$/, ''),
    headerLine: headerIndex + 1,
    indent,
    fixed: `${' '.repeat(indent)}${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown}`,
    laterLines,
    rest: tabbed.text.trimStart(),
    ...(parts?.[2] === undefined ? {} : { keyIndent: marks }),
    above: lines.slice(headerIndex, at).findLast((line) => !isBlank(line.text))?.text ?? header.text,
    lines,
    headerIndex,
  };
}
