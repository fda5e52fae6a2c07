/**
 * A resource id on one line: a name may hold a newline or another control
 * character (a file name can), which would split or garble the line a
 * script reads. They are written as escapes (`\n`, `\u001b`).
 */
export function oneLine(id: string): string {
  return id.replace(/[\u0000-\u001f\u007f]/g, (char) => (char === '\n' ? '\\n' : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/**
 * Text that may hold what a resource reported (a command's stderr), as it
 * may reach a terminal or a log: control characters escaped, and its own
 * line breaks kept with the lines after the first indented, so no line of
 * it can pass for a line of converge's own.
 */
export function safeText(text: string): string {
  return text.split('\n').map(oneLine).join('\n    ');
}
