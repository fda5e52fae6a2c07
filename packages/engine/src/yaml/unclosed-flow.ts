/**
 * The YAML parser notices an unclosed `[` or `{` only where the text stops
 * making sense, often lines later (or past the end of the file). This finds
 * where the bracket was opened: the last `[` or `{` before `position` that
 * nothing closed, outside quotes and comments. Undefined when there is none.
 */
export function unclosedFlowStart(text: string, position: number): number | undefined {
  const open: number[] = [];
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < Math.min(position, text.length); index++) {
    const char = text[index];
    if (quote !== undefined) {
      if (char === '\\' && quote === '"') index++;
      else if (char === quote) quote = undefined;
      continue;
    }
    if (char === '#' && (index === 0 || /\s/.test(text[index - 1] ?? ''))) {
      const end = text.indexOf('\n', index);
      index = end === -1 ? text.length : end;
    } else if ((char === '"' || char === "'") && (open.length > 0 || /[\s:[{,-]/.test(text[index - 1] ?? ' '))) {
      quote = char;
    } else if (char === '[' || char === '{') {
      open.push(index);
    } else if ((char === ']' || char === '}') && open.length > 0) {
      open.pop();
    }
  }
  return open.at(-1);
}
