/**
 * Reading a mistyped graph from its text, where the parser's tree is a
 * guess: the line a line belongs under.
 */

/** The nearest line above `lineStart` that holds something and starts further left than `indent`. */
export function lineFurtherLeft(text: string, lineStart: number, indent: number): string | undefined {
  return text
    .slice(0, lineStart)
    .split('\n')
    .findLast((line) => line.trim() !== '' && !line.trimStart().startsWith('#') && line.length - line.trimStart().length < indent);
}

/** `resources:`, under which the keys are kinds. */
export function isResourcesLine(line: string | undefined): boolean {
  return line !== undefined && /^resources:[ \t]*(?:#.*)?\r?$/.test(line);
}
