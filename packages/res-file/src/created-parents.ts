import { readdir, rmdir } from 'node:fs/promises';
import { errnoCode } from './errors.js';
import { lstatEntry } from './fs-state.js';
import type { ManagedFile } from './managed-paths.js';
import { inPinnedFolder } from './pinned-folder.js';
import type { LinkRule } from './pinned-folder.js';
import { ancestorDirs, fsPath, isAncestor } from './paths.js';

/**
 * The folders above `path` that are not there, nearest first: what a
 * directory with `recurse` makes (as mkdir -p) and its reversal takes away.
 * Asked before the first apply, so the record names them before any exists
 * and a crash between the mkdir and the record cannot lose one.
 */
export async function missingParents(path: string): Promise<string[]> {
  const missing: string[] = [];
  for (const folder of ancestorDirs(path)) {
    if (folder === '/' || (await lstatEntry(fsPath(folder))) !== undefined) break;
    missing.push(folder);
  }
  return missing;
}

/** Whether removing the folder `folder` would take away what `file` manages (the folder itself, or a path inside it). */
function needs(file: ManagedFile, folder: string): boolean {
  if (file.state === 'absent') return false;
  const path = fsPath(file.path);
  return path === folder || isAncestor(folder, path);
}

/** Errors of rmdir that mean the folder is not this reversal's to remove any more: it holds something, or is no folder. */
const KEPT = new Set(['ENOTEMPTY', 'EEXIST', 'ENOTDIR', 'EBUSY']);

export interface RemoveParentsOptions {
  readonly apply: boolean;
  /** What the other file resources manage: the live ones and those of the graph about to run. */
  readonly others: Iterable<ManagedFile>;
  readonly links: LinkRule;
  readonly log: (message: string) => void;
}

/**
 * Removes the folders a reversed directory made above itself (`created`,
 * nearest first), each only while it is empty: the first that holds
 * something (a file another program put there) or that another resource
 * manages, or holds what one manages, stays, and so does every folder above
 * it. rmdir itself refuses a folder that is not empty, so a file put there
 * at the last moment is never lost. Returns true when none was to remove.
 */
export async function removeCreatedParents(created: readonly string[], options: RemoveParentsOptions): Promise<boolean> {
  const others = [...options.others];
  let untouched = true;
  for (const folder of created.map((dir) => fsPath(dir))) {
    if (others.some((file) => needs(file, folder))) break;
    const entry = await lstatEntry(folder);
    // Gone already (removed by hand, or never made: a crash before the mkdir): the one above may still be there.
    if (entry === undefined) continue;
    if (entry.kind !== 'dir') break;
    if (!options.apply) return (await readdir(folder)).length > 0;
    try {
      await inPinnedFolder(folder, options.links, (pinned) => rmdir(pinned));
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT') continue;
      if (code !== undefined && KEPT.has(code)) break;
      throw error;
    }
    options.log(`removed empty directory ${folder} (made with recurse)`);
    untouched = false;
  }
  return untouched;
}
