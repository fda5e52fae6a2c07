import { readdirSync } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isDirOnLocalFs } from './local-fs.js';
import { tempKeyOf, tempTargetOf } from './temp-names.js';


/** Temp file names by the key of their target's name (see tempKeyOf). */
type Leftovers = Map<string, string[]>;

/**
 * Per folder, the temp files that processes killed between creating and
 * renaming one left behind (they never replace a target, but they are
 * litter), by target name. Listed once per folder per process, before this
 * process writes anything there (see sweepLeftoverTemps).
 */
const leftoversByFolder = new Map<string, Leftovers | Promise<Leftovers>>();

function byTarget(names: readonly string[]): Leftovers {
  const leftovers: Leftovers = new Map();
  for (const name of names) {
    const target = tempTargetOf(name);
    if (target !== undefined) leftovers.set(target, [...(leftovers.get(target) ?? []), name]);
  }
  return leftovers;
}

/** The folder's leftovers, listed on first use: synchronously on a local file system (see local-fs). */
function leftoversIn(folder: string): Leftovers | Promise<Leftovers> {
  let listing = leftoversByFolder.get(folder);
  if (listing === undefined) {
    if (isDirOnLocalFs(folder)) {
      listing = byTarget(listQuietlySync(folder));
    } else {
      const pending = readdir(folder)
        .catch(() => [] as string[])
        .then(byTarget);
      listing = pending;
      void pending.then((leftovers) => leftoversByFolder.set(folder, leftovers));
    }
    leftoversByFolder.set(folder, listing);
  }
  return listing;
}

function listQuietlySync(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

async function removeLeftovers(folder: string, names: readonly string[]): Promise<void> {
  await Promise.all(names.map((name) => unlink(join(folder, name)).catch(() => undefined)));
}

function takeLeftovers(leftovers: Leftovers, folder: string, target: string): Promise<void> | undefined {
  const names = leftovers.get(target);
  if (names === undefined) return undefined;
  leftovers.delete(target);
  return removeLeftovers(folder, names);
}

/**
 * Removes the temp files a crash left for the target at `path`, once per
 * target per process; undefined when there is nothing to wait for (the
 * common case, kept free of an await). Every atomic write calls this before
 * it makes its temp file, so the folder's one listing is taken before this
 * process made any temp file there: what it lists are leftovers. A file
 * resource also calls it on its first applying check, so a file that is
 * already in sync loses its litter too. (Another engine writing the same
 * files at the same time is not supported.)
 */
export function sweepLeftoverTemps(path: string): Promise<void> | undefined {
  const folder = dirname(path);
  const target = tempKeyOf(basename(path));
  const listing = leftoversIn(folder);
  if (listing instanceof Promise) return listing.then((leftovers) => takeLeftovers(leftovers, folder, target));
  return takeLeftovers(listing, folder, target);
}

/**
 * True when it is certain, without waiting, that no temp file a crash left
 * waits for the target `name` in `folder` (the folder was listed, or can be listed
 * synchronously on a local file system). False means sweepLeftoverTemps has
 * work, or has to list the folder first.
 */
export function hasNoLeftoverTemps(folder: string, name: string): boolean {
  const listing = leftoversIn(folder);
  return !(listing instanceof Promise) && !listing.has(tempKeyOf(name));
}
