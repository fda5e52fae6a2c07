import { realpath } from 'node:fs/promises';
import { fragmentFiles } from './desired-content.js';
import { InputError } from './errors.js';
import { managedExcept, type ManagedOwner } from './managed-paths.js';
import { fsPath } from './paths.js';

const realOf = (path: string): Promise<string | undefined> => realpath(path).catch(() => undefined);

/** The files a fragments list stands for now; none for a fragment that cannot be listed (its own check tells). */
async function filesOf(fragments: readonly string[]): Promise<string[]> {
  const files = await Promise.all(fragments.map((fragment) => fragmentFiles(fragment).catch(() => [] as string[])));
  return files.flat();
}

/**
 * Refuses a ring of joined files made through symlinks (`fa/02 -> ../outB`
 * in outA's fragments, `fb/02 -> ../outA` in outB's): each write adds to
 * the other, for ever (QA). A ring written with the paths themselves is
 * refused at load (content-rings.ts); here only fragments that lead
 * elsewhere than they are written are followed, to another joined file of
 * the graph whose own fragments lead back to this one.
 */
export async function refuseFragmentRing(path: string, fragments: readonly string[], self: ManagedOwner): Promise<void> {
  const own = await realOf(path);
  if (own === undefined) return;
  for (const file of await filesOf(fragments)) {
    const real = await realOf(file);
    if (real === undefined || real === file) continue;
    for (const other of managedExcept(self)) {
      if (other.fragments === undefined || (await realOf(fsPath(other.path))) !== real) continue;
      for (const back of await filesOf(other.fragments)) {
        if ((await realOf(back)) !== own) continue;
        throw new InputError(
          `fragment ${file} is ${fsPath(other.path)}, whose fragment ${back} is this file (through symlinks): each write adds to the other, and they grow for ever`,
          'remove one of the two links',
        );
      }
    }
  }
}
