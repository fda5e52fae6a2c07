import { statfs } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { posix } from 'node:path';
import { everyMountIsLocal, FS_ANSWER_TTL_MS } from './mount-table.js';

/**
 * File systems whose metadata calls and small reads answer from local
 * storage in microseconds. On these, checks use synchronous calls: with
 * thousands of files, the async round trip through libuv's pool costs
 * several times the syscall itself. Anything else (nfs, cifs, fuse, 9p…)
 * keeps async calls, so a hung server blocks one check, not the engine.
 * Magic numbers as statfs(2) reports them. Asked per folder only on a
 * machine where some mount may hang (see mount-table.ts); elsewhere every
 * folder is local.
 */
const LOCAL_FS_TYPES = new Set<number>([
  0xef53, // ext2/3/4
  0x58465342, // xfs
  0x9123683e, // btrfs
  0x01021994, // tmpfs
  0x794c7630, // overlayfs
  0x2fc12fc1, // zfs
  0xf2f52010, // f2fs
  0x3153464a, // jfs
  0x52654973, // reiserfs
  0x858458f6, // ramfs
]);


interface Known {
  readonly local: boolean;
  readonly at: number;
}

const known = new Map<string, Known>();
const ANSWERED: Promise<void> = Promise.resolve();
const asking = new Map<string, Promise<void>>();

/** The directory `path` lives in, which is what is asked about. */
function dirOf(path: string): string {
  return posix.dirname(path);
}

/**
 * True when `path`'s directory is known to be on a local file system.
 * Unknown or stale answers say false and ask in the background, so the
 * first check of a directory is async and later ones may be sync.
 */
export function isOnLocalFs(path: string): boolean {
  return isDirOnLocalFs(dirOf(path));
}

/** As isOnLocalFs, for the directory `dir` itself (which may be a mount point). */
export function isDirOnLocalFs(dir: string): boolean {
  if (everyMountIsLocal()) return true;
  const answer = known.get(dir);
  if (answer === undefined || performance.now() - answer.at > FS_ANSWER_TTL_MS) void learnFsType(dir);
  return answer?.local ?? false;
}

/**
 * Asks (once at a time per directory, and not again while the answer is
 * fresh) what file system `dir` is on. A missing directory asks its parent.
 */
export function learnFsType(dir: string): Promise<void> {
  // Nothing to learn when nothing mounted can hang; and the first check of
  // a one-shot run, which starts before any statfs could answer, is sync.
  if (everyMountIsLocal()) return ANSWERED;
  const answer = known.get(dir);
  if (answer !== undefined && performance.now() - answer.at <= FS_ANSWER_TTL_MS) return ANSWERED;
  const pending = asking.get(dir);
  if (pending) return pending;
  const ask = (async () => {
    let current = dir;
    for (;;) {
      try {
        const stats = await statfs(current);
        known.set(dir, { local: LOCAL_FS_TYPES.has(Number(stats.type)), at: performance.now() });
        return;
      } catch {
        // Missing so far: the file system it will be on is its nearest existing ancestor's.
        if (current === '/') return;
        current = posix.dirname(current);
      }
    }
  })().finally(() => asking.delete(dir));
  asking.set(dir, ask);
  return ask;
}
