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

/** The hint for a `-name` that YAML read as a key, where the problem told is another (a mapping for a list, an unknown param). */
export function dashReadAsKeyHint(meant: string): string {
  return `'-${meant}' is read as a key, not as a list item; ${dashWithoutSpaceHint(meant)}`;
}

/** A `-key:` at the start of the line holding `offset`: where its dash is, and the key as meant. */
export function dashWithoutSpaceAt(text: string, offset: number): { offset: number; meant: string } | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', lineStart) === -1 ? text.length : text.indexOf('\n', lineStart);
  const match = /^( *)-([^\s#:-][^:#]*):(\s|$)/.exec(text.slice(lineStart, lineEnd));
  return match ? { offset: lineStart + (match[1]?.length ?? 0), meant: (match[2] ?? '').trim() } : undefined;
}
