/** Where a bracket or quote that nothing closes was opened, and which one it is. */
export interface UnclosedStart {
  readonly index: number;
  readonly char: '[' | '{' | '"' | "'";
}

/**
 * The YAML parser notices an unclosed `[`, `{` or quote only where the text
 * stops making sense, often lines later (or past the end of the file). This
 * finds where it was opened: the innermost one before `position` that
 * nothing closed (a quote, or the last bracket outside quotes and comments).
 * Undefined when there is none.
 */
export function unclosedStart(text: string, position: number): UnclosedStart | undefined {
  const open: number[] = [];
  let quote: { index: number; char: '"' | "'" } | undefined;
  const end = Math.min(position, text.length);
  for (let index = 0; index < end; index++) {
    const char = text[index];
    if (quote !== undefined) {
      if (char === '\\' && quote.char === '"') index++;
      else if (char === quote.char) quote = undefined;
      continue;
    }
    if (char === '#' && (index === 0 || /\s/.test(text[index - 1] ?? ''))) {
      const lineEnd = text.indexOf('\n', index);
      index = lineEnd === -1 ? text.length : lineEnd;
    } else if ((char === '"' || char === "'") && (open.length > 0 || /[\s:[{,-]/.test(text[index - 1] ?? ' '))) {
      quote = { index, char };
    } else if (char === '[' || char === '{') {
      open.push(index);
    } else if ((char === ']' || char === '}') && open.length > 0) {
      open.pop();
    }
  }
  if (quote !== undefined) return quote;
  const bracket = open.at(-1);
  return bracket === undefined ? undefined : { index: bracket, char: text[bracket] as '[' | '{' };
}
