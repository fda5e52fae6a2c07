import { readdir } from 'node:fs/promises';

/** Why an entry whose name is not valid UTF-8 cannot be handled, after its path as shown. */
export const NOT_UTF8 = 'has a name that is not valid UTF-8, which converge cannot name (shown with \u{FFFD} for the bytes it cannot read)';

/**
 * A folder's entries, sorted: those whose names are valid UTF-8, and the
 * others (as best shown). A name read as a string loses the bytes that are
 * not UTF-8 (Latin-1 from an old archive), so a look at it would find
 * nothing there: the caller leaves such an entry out and says so.
 */
export async function namesIn(folder: string): Promise<{ names: string[]; unnameable: string[] }> {
  const names: string[] = [];
  const unnameable: string[] = [];
  for (const raw of await readdir(folder, { encoding: 'buffer' })) {
    const name = raw.toString('utf8');
    if (Buffer.from(name, 'utf8').equals(raw)) names.push(name);
    else unnameable.push(name);
  }
  return { names: names.sort(), unnameable };
}
