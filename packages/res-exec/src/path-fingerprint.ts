import { lstatSync, statSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { resolve } from 'node:path';

/**
 * A change newer than this (against the clock when the path was read) may be
 * followed, in the same tick of the file system's coarse clock, by another
 * one that leaves every field as it is (git's "racily clean" entries): such a
 * fingerprint can say "changed", never "unchanged since". Above the coarsest
 * tick (10 ms at HZ=100). Kernels since 6.13 give a change after a stat a
 * finer ctime on ext4, xfs, btrfs and tmpfs, but not older ones, nor every
 * file system: the tick is waited out, never assumed away.
 */
const RACY_MS = 15;

/** What one stat of a watched path gave, and whether it can vouch for "nothing changed since". */
export interface PathFingerprint {
  /** Existence, type, inode, mode, owner, size, mtime and ctime (ns); equal text, same state. */
  readonly text: string;
  /** False when the path is missing or its last change was too recent to rule out another in the same tick. */
  readonly settled: boolean;
  /** Not settled only because its last change is that recent: the ms until a read would be; else 0. */
  readonly settlesInMs: number;
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
    return { text: `error ${(error as NodeJS.ErrnoException).code ?? String(error)}`, settled: false, settlesInMs: 0 };
  }
  if (stats === undefined) return { text: 'missing', settled: false, settlesInMs: 0 };
  const text = [typeOf(stats), stats.dev, stats.ino, stats.mode, stats.uid, stats.gid, stats.size, stats.mtimeNs, stats.ctimeNs].join(' ');
  const age = readAt - Number(stats.ctimeNs / 1_000_000n);
  // A ctime ahead of the clock (set back since) is waited for no longer than a recent one.
  const settlesInMs = age > RACY_MS ? 0 : Math.min(RACY_MS + 1 - age, RACY_MS + 1);
  return { text, settled: settlesInMs === 0, settlesInMs };
}

function typeOf(stats: BigIntStats): string {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'dir';
  if (stats.isSymbolicLink()) return 'link';
  return 'other';
}
