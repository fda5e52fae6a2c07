import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileParams } from './params.js';

/** The files a fragment stands for: itself, or the regular files of a directory sorted by name. */
async function fragmentFiles(fragment: string): Promise<string[]> {
  if (!fragment.endsWith('/')) return [fragment];
  const names = (await readdir(fragment)).sort();
  const files: string[] = [];
  for (const name of names) {
    const file = join(fragment, name);
    // stat (not lstat): a link to a file in a fragment dir counts as that file.
    if ((await stat(file)).isFile()) files.push(file);
  }
  return files;
}

/**
 * The bytes a file resource wants at its path, from `content`, `fragments`
 * or a `source` file; undefined when it manages existence only. Inputs are
 * read as they are now: a change to them is seen by watch.
 */
export async function desiredFileContent(params: Readonly<FileParams>): Promise<Buffer | undefined> {
  if (params.content !== undefined) return Buffer.from(params.content, 'utf8');
  if (params.fragments !== undefined) {
    const parts: Buffer[] = [];
    for (const fragment of params.fragments) {
      for (const file of await fragmentFiles(fragment)) parts.push(await readFile(file));
    }
    return Buffer.concat(parts);
  }
  if (params.source !== undefined && !params.symlink) return readFile(params.source);
  return undefined;
}
