import { lstatSync, statSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { resolve } from 'node:path';

/**
 * A change newer than this (against the clock when the path was read) may be
 * followed, in the same tick of the file system's coarse clock, by another
 * one that leaves every field as it is (git's "racily clean" entries): such a
 * fingerprint can say "changed", never "unchanged since". Above the coarsest
 * tick (10 ms at HZ=100), below the 25 ms a watch gathers a change's events
 * for: the check that a watch's event starts comes at least that late.
 */
const RACY_MS = 15;

/** What one stat of a watched path gave, and whether it can vouch for "nothing changed since". */
export interface PathFingerprint {
  /** Existence, type, inode, mode, owner, size, mtime and ctime (ns); equal text, same state. */
  readonly text: string;
  /** False when the path is missing or its last change was too recent to rule out another in the same tick. */
  readonly settled: boolean;
}

/**
 * The state of a `watchfiles` (or `creates`) entry, as its watch sees it: a
 * symlink at the path is followed (a dangling one is taken as the link
 * itself); an entry ending in `/` is the folder itself (entries coming and
 * going change its own times; deeper changes only its watch tells). One
 * stat, two for a dangling link: cheap enough for every check.
 */
export function fingerprintPath(entry: string): PathFingerprint {
  const path = entry.endsWith('/') ? resolve(entry) : entry;
  const readAt = Date.now();
  let stats: BigIntStats | undefined;
  try {
    stats = statSync(path, { bigint: true, throwIfNoEntry: false }) ?? lstatSync(path, { bigint: true, throwIfNoEntry: false });
  } catch (error) {
    // ENOTDIR, EACCES, ELOOP: a state as well; it changes when the path becomes readable.
    return { text: `error ${(error as NodeJS.ErrnoException).code ?? String(error)}`, settled: false };
  }
  if (stats === undefined) return { text: 'missing', settled: false };
  const text = [typeOf(stats), stats.dev, stats.ino, stats.mode, stats.uid, stats.gid, stats.size, stats.mtimeNs, stats.ctimeNs].join(' ');
  return { text, settled: readAt - Number(stats.ctimeNs / 1_000_000n) > RACY_MS };
}

function typeOf(stats: BigIntStats): string {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'dir';
  if (stats.isSymbolicLink()) return 'link';
  return 'other';
}
