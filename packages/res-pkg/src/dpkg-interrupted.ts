import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DPKG_DIR } from './dpkg-files.js';
import { dpkgLockHeld } from './dpkg-lock.js';

/**
 * How long a journal left with no lock must stay so before it counts as
 * interrupted: far longer than the gap between a new dpkg taking its lock
 * and writing its first journal entry, or between an ending one unlinking
 * its journal and exiting (about a millisecond).
 */
export const JOURNAL_SETTLE_MS = 100;

/**
 * True when a dpkg run was cut short and nobody is running dpkg now: its
 * journal (`updates/`, files named by number) holds entries no run has
 * folded into the status file yet, and no process holds dpkg's locks. The
 * package database cannot be trusted then (PackageKit may call an
 * installed package available), and every change fails until `dpkg
 * --configure -a` is run; apt tells it the same way. While dpkg runs, its
 * journal is not empty either: that is not an interruption, and a change
 * waits for the lock as any package manager does (package-lock-wait.ts).
 *
 * A dpkg that ends unlinks its journal just before it lets go of its lock,
 * and one that starts takes its lock just before it writes its journal, so
 * one look can catch either midway. It only counts when it looks left
 * behind twice, a pause apart.
 */
export async function dpkgInterrupted(dpkgDir = DPKG_DIR, settleMs = JOURNAL_SETTLE_MS): Promise<boolean> {
  if (!(await journalLeftBehind(dpkgDir))) return false;
  await sleep(settleMs);
  return journalLeftBehind(dpkgDir);
}

/**
 * A journal with the lock free both before and after it is read: the lock
 * first, as an ending dpkg's journal is gone before its lock is; and again
 * after, as a starting dpkg's lock is taken before its journal is written.
 */
async function journalLeftBehind(dpkgDir: string): Promise<boolean> {
  if (await dpkgLockHeld(dpkgDir)) return false;
  if (!(await journalPending(dpkgDir))) return false;
  return !(await dpkgLockHeld(dpkgDir));
}

/** Whether dpkg's journal holds entries (files named by number; others are its temporary files). */
async function journalPending(dpkgDir: string): Promise<boolean> {
  const journal = await readdir(join(dpkgDir, 'updates')).catch(() => [] as string[]);
  return journal.some((name) => /^\d+$/.test(name));
}
