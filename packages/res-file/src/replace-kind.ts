import { opendir, rm, rmdir } from 'node:fs/promises';
import { errnoCode, fileError } from './errors.js';
import type { ErrorSite } from './errors.js';
import { kindName } from './fs-state.js';
import type { Entry, EntryKind } from './fs-state.js';

/** What replacing the entry at a resource's own path by another kind is allowed to do. */
export interface ReplaceOptions {
  readonly force: boolean;
  readonly recurse: boolean;
  readonly apply: boolean;
  readonly site: ErrorSite;
  readonly log: (message: string) => void;
}

/**
 * Removes what is at `path` when it is not the `want`ed kind, so that the
 * caller can make the right one; returns whether it did (or, without apply,
 * would). That needs `force`. A directory with entries in it also needs
 * `recurse`, as `state: absent` does: the likely mistake is a directory path
 * written without its trailing `/`, and force alone must not turn that
 * mistake into the loss of everything in the directory.
 */
export async function clearWrongKind(path: string, entry: Entry | undefined, want: EntryKind, options: ReplaceOptions): Promise<boolean> {
  if (entry === undefined || entry.kind === want) return false;
  const { force, recurse, apply, site, log } = options;
  if (!force) throw fileError(site, `${path} is a ${kindName(entry.kind)}, but a ${kindName(want)} is wanted`, wrongKindHint(entry.kind, want));
  if (entry.kind !== 'dir' || recurse) {
    if (apply) {
      log(`removing ${kindName(entry.kind)} ${path} to make a ${kindName(want)} (force)`);
      await rm(path, { recursive: true, force: true });
    }
    return true;
  }
  // Looked at without apply too, so that a check (or dry run) reports the refusal an apply would meet.
  if (!apply) {
    if (!(await isEmptyDir(path))) throw notEmptyError(site, path, want);
    return true;
  }
  try {
    // rmdir, not a look and then rm: whatever appears in the meantime is not deleted.
    await rmdir(path);
  } catch (error) {
    if (!isNotEmpty(error)) throw error;
    throw notEmptyError(site, path, want, error);
  }
  // Told once done: told before, it stood alone on every retry of a folder that is not empty (its failure, already told, is not repeated).
  log(`removed empty directory ${path} to make a ${kindName(want)} (force)`);
  return true;
}

/** What the user probably meant when the path names one kind and the graph another. */
function wrongKindHint(found: EntryKind, want: EntryKind): string {
  if (found === 'dir' && want === 'file') {
    return 'if you meant the directory, end the path with /; to replace it by a file set force: true (and recurse: true if it is not empty)';
  }
  if (found === 'dir') return `to replace the directory by a ${kindName(want)} set force: true (and recurse: true if it is not empty)`;
  if (found === 'file' && want === 'dir') return 'if you meant the file, remove the trailing / from the path; to replace it by a directory set force: true';
  return 'set force: true to replace it';
}

function notEmptyError(site: ErrorSite, path: string, want: EntryKind, cause?: unknown) {
  const meant = want === 'file' ? 'if you meant the directory, end the path with /; ' : '';
  return fileError(
    site,
    `${path} is a directory that is not empty, but a ${kindName(want)} is wanted; force alone does not delete its contents`,
    `${meant}to replace the directory and everything in it by a ${kindName(want)} set recurse: true as well`,
    cause,
  );
}

/** True when the directory has no entries; reads at most one entry, however large it is. */
async function isEmptyDir(path: string): Promise<boolean> {
  const dir = await opendir(path);
  try {
    return (await dir.read()) === null;
  } finally {
    await dir.close();
  }
}

/** POSIX lets rmdir of a non-empty directory fail with EEXIST as well as ENOTEMPTY. */
function isNotEmpty(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'ENOTEMPTY' || code === 'EEXIST';
}
