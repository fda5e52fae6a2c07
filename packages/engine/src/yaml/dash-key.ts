import { isResourcesLine, lineFurtherLeft } from './parent-line.js';

/**
 * A key written `-name` where the list item `- name` was meant: the item's
 * dash without the space after it, which YAML reads as part of the key.
 * The key as meant (`name`), or undefined for any other key.
 */
export function dashWithoutSpace(key: string): string | undefined {
  return /^-([^\s-].*)$/s.exec(key)?.[1];
}

/** What to write instead of `-name`: the hint for each place it is told. */
export function dashWithoutSpaceHint(meant: string): string {
  return `a list item's - is followed by a space: write \`- ${meant}:\``;
}

/** The problem of a `-name` that YAML read as a key, as its message and hint. */
export function dashReadAsKey(meant: string): { message: string; hint: string } {
  return { message: `'-${meant}' is read as a key, not as a list item`, hint: dashWithoutSpaceHint(meant) };
}

/** The hint for a `-name` that YAML read as a key, where the problem told is another (a mapping for a list, an unknown param). */
export function dashReadAsKeyHint(meant: string): string {
  const { message, hint } = dashReadAsKey(meant);
  return `${message}; ${hint}`;
}

/** The problem of a `-name` written where a kind goes (under resources:), as its message and hint. */
export function dashReadAsKind(meant: string): { message: string; hint: string } {
  return { message: `'-${meant}' is read as a kind, not as a list item`, hint: `${dashWithoutSpaceHint(meant)}, lined up with the items of its list` };
}

/**
 * A `-key:` at the start of the line holding `offset`: where its dash is,
 * the key as meant, and whether it stands where a kind goes (the nearest
 * line further left is `resources:`).
 */
export function dashWithoutSpaceAt(text: string, offset: number): { offset: number; meant: string; asKind: boolean } | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', lineStart) === -1 ? text.length : text.indexOf('\n', lineStart);
  const match = /^( *)-([^\s#:-][^:#]*):(\s|$)/.exec(text.slice(lineStart, lineEnd));
  if (!match) return undefined;
  const indent = match[1]?.length ?? 0;
  return { offset: lineStart + indent, meant: (match[2] ?? '').trim(), asKind: isResourcesLine(lineFurtherLeft(text, lineStart, indent)) };
}
