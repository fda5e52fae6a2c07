import { isResourcesLine } from './parent-line.js';
import { isBlank, spacesOf, type Line, type TabInBlock } from './tab-in-block.js';

/**
 * A tab-led line after a block scalar that reads as a key beside the
 * block's own (`content: |`, its text, then `<TAB>mode: "0600"`): the tab
 * stands for the spaces the keys are indented with. Told as a key, as
 * indenting it to the block's indentation would make it a line of the text,
 * and the key would no longer be set.
 */
export interface TabKey {
  readonly key: string;
  /** The spaces the keys beside the block's key are indented with. */
  readonly indent: number;
  /** Whether those keys are a resource's (an item of a kind's list under resources:). */
  readonly ofResource: boolean;
  /** The line as it should be written. */
  readonly fixed: string;
}

/** `mode: "0600"`, `meta:`: a key as a graph writes it, one word then a colon. */
const KEY_LINE = /^([A-Za-z_][\w.-]*):(?:[ \t].*)?$/;
/**
 * A line after which a tab-led line is plausibly the block's text: a
 * Makefile target or a parent key (`all:`), a line continued with \, or a
 * line of the text that holds a tab after the block's indentation already.
 */
const TEXT_GOES_ON = /:[ \t]*$|\\$|^ *\t/;
/** A line's indentation, with any `- ` item marks, up to its first key. */
const KEY_PREFIX = /^(?:[ ]*- )*[ ]*/;
const KIND_LINE = /^( *)[\w.-]+:[ \t]*(?:#.*)?$/;

const isComment = (line: string): boolean => line.trimStart().startsWith('#');

export function tabLineAsKey(tab: TabInBlock): TabKey | undefined {
  const key = KEY_LINE.exec(tab.rest)?.[1];
  if (key === undefined || tab.keyIndent === undefined || TEXT_GOES_ON.test(tab.above)) return undefined;
  const shown = tab.rest.length > 40 ? `${tab.rest.slice(0, 40)}…` : tab.rest;
  return {
    key,
    indent: tab.keyIndent,
    ofResource: holdsResource(tab.lines, tab.headerIndex, tab.keyIndent),
    fixed: `${' '.repeat(tab.keyIndent)}${shown.replaceAll('\t', '\\t')}`,
  };
}

/**
 * Whether the mapping whose keys are at `keyIndent`, holding the header's
 * line, is a resource: an item (`- name: ...`) of a list under a kind's key,
 * under `resources:`. Read from the text, as the parser's tree is wrong here.
 */
function holdsResource(lines: readonly Line[], headerIndex: number, keyIndent: number): boolean {
  // Up to the line that starts the mapping: a `- ` mark before a key at keyIndent.
  let index = headerIndex;
  let dash = -1;
  for (; index >= 0 && dash < 0; index--) {
    const text = (lines[index] as Line).text;
    if (isBlank(text) || isComment(text)) continue;
    const prefix = KEY_PREFIX.exec(text)?.[0] ?? '';
    if (prefix.length < keyIndent) return false;
    if (prefix.length === keyIndent && prefix.includes('- ')) dash = prefix.lastIndexOf('- ');
  }
  // Past the list's other items, to its key: a kind.
  let kindIndent = -1;
  for (; index >= 0 && kindIndent < 0; index--) {
    const text = (lines[index] as Line).text;
    if (isBlank(text) || isComment(text) || spacesOf(text) > dash || text.startsWith(`${' '.repeat(dash)}- `)) continue;
    const kind = KIND_LINE.exec(text);
    if (!kind) return false;
    kindIndent = kind[1]?.length ?? 0;
  }
  if (kindIndent <= 0) return false;
  return isResourcesLine(lines.slice(0, index + 1).findLast((line) => !isBlank(line.text) && !isComment(line.text) && spacesOf(line.text) < kindIndent)?.text);
}
