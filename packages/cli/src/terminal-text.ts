/**
 * A resource id on one line: a name may hold a newline or another control
 * character (a file name can), which would split or garble the line a
 * script reads. They are written as escapes (`\n`, `\u001b`).
 */
export function oneLine(id: string): string {
  return id.replace(TERMINAL_CONTROLS, (char) => (char === '\n' ? '\\n' : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/**
 * A resource id as the pictures (`converge graph`, the web view) write it:
 * on one line as `oneLine` writes it, and never the same text for two
 * names. A backslash that would read as the start of an escape (before `n`,
 * `u`, another backslash or a character written as an escape) is doubled:
 * a real newline shows as `new\nline`, a backslash and an `n` typed in a
 * name as `new\\nline` (QA: the two were one node in DOT, with a cycle
 * between them and a third resource). Other backslashes are left as they
 * are (`C:\temp`).
 */
export function distinctLine(id: string): string {
  return oneLine(id.replace(ESCAPE_LIKE_BACKSLASH, '\\\\'));
}

/**
 * What a terminal acts on rather than shows: C0 and C1 controls (C1's CSI
 * and OSC work like ESC [ and ESC ]), and the marks that reorder text
 * around them (bidirectional overrides and isolates); and what it shows as
 * nothing: a zero-width space, a word joiner, a byte order mark (QA: a BOM
 * in the middle of a graph made `unknown key 'resources'`, the key looking
 * right); and what is no character at all: U+FFFE, U+FFFF and half of a
 * surrogate pair, which XML 1.0 cannot hold (QA: `converge graph --format
 * svg` was not XML) and UTF-8 output writes as U+FFFD, the same for every
 * lone half. A whole pair (an emoji) is kept. A tab only moves the cursor
 * on (diffs and file content have them): kept.
 */
const TERMINAL_CONTROLS =
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text that may hold what a resource reported (a command's stderr), as it
 * may reach a terminal or a log: control characters escaped, and its own
 * line breaks kept with the lines after the first indented, so no line of
 * it can pass for a line of converge's own.
 */
export function safeText(text: string): string {
  return text.split('\n').map(oneLine).join('\n    ');
}

/** A backslash followed by what `oneLine` writes after one (`n`, `u`, a backslash) or by a character it escapes. */
const ESCAPE_LIKE_BACKSLASH = new RegExp(`\\\\(?=[\\\\nu]|${TERMINAL_CONTROLS.source})`, 'g');
