import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The lock file of a state directory: which run uses it. */
const LOCK_FILE = 'run.lock';

/** A process as the lock names it: its pid and when it started (a pid alone may be reused). */
interface Holder {
  readonly pid: number;
  readonly started: string;
}

/** When process `pid` started, in clock ticks since boot (field 22 of /proc/PID/stat); undefined when it is gone. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie (state Z, or X while it is reaped) is a run that has ended, whose parent has not reaped it yet (a container without an init).
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

/** Tries before giving up (each after a short pause): enough for runs that start together over a left lock. */
const MAX_ATTEMPTS = 200;
const RETRY_PAUSE_MS = 10;
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

function isRunning(holder: Holder): boolean {
  return startTimeOf(holder.pid) === holder.started;
}

/**
 * Replaces a lock left by a run that is gone with `mine`, as the only run
 * doing so: the takeover file is made as the lock is (a link, which only one
 * run can make), and under it the lock is read again (another run may have
 * taken it over meanwhile) before it is replaced. Checking and replacing
 * without it, two runs starting together could each replace the left lock
 * in turn and both go on. A takeover file left by a run killed in those
 * microseconds is removed for the next try. False: look again.
 */
function replaceLeftLock(path: string, mine: string): boolean {
  const guard = `${path}.takeover`;
  try {
    linkSync(mine, guard);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const taker = holderOf(guard);
    if (!taker || !isRunning(taker)) rmSync(guard, { force: true });
    return false;
  }
  try {
    const holder = holderOf(path);
    if (holder && isRunning(holder)) return false;
    renameSync(mine, path);
    return true;
  } finally {
    rmSync(guard, { force: true });
  }
}

function holderOf(path: string): Holder | undefined {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    return typeof holder.pid === 'number' && typeof holder.started === 'string' ? { pid: holder.pid, started: holder.started } : undefined;
  } catch {
    return undefined;
  }
}

/** Thrown when another run holds the state directory. */
export class StateDirInUseError extends Error {
  constructor(dir: string, pid: number) {
    super(`${dir} is in use by another converge run (process ${pid}): two runs on one state directory would undo each other's saved state`);
  }
}

/**
 * Takes the state directory for this run: two runs on one directory would
 * share (and fight over) what it keeps, saved passwords, pending refreshes
 * and reversals. A lock left by a run that is gone (killed) is taken over.
 * Returns the release, which also runs at exit.
 */
export function lockStateDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  const me: Holder = { pid: process.pid, started: startTimeOf(process.pid) ?? '' };
  // Written whole beside it, then linked (or renamed) into place in one step:
  // a run starting at the same moment never finds it empty, and takes it for one left behind.
  const mine = join(dir, `${LOCK_FILE}.${process.pid}`);
  writeFileSync(mine, `${JSON.stringify(me)}\n`, { mode: 0o600 });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        linkSync(mine, path);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt === MAX_ATTEMPTS) throw error;
      }
      const holder = holderOf(path);
      if (holder && holder.pid !== process.pid && isRunning(holder)) throw new StateDirInUseError(dir, holder.pid);
      // Left by a run that is gone (killed): replaced by one run at a time; the others look again.
      if (replaceLeftLock(path, mine)) break;
      Atomics.wait(PAUSE, 0, 0, RETRY_PAUSE_MS);
    }
  } finally {
    rmSync(mine, { force: true });
  }
  const holder = holderOf(path);
  if (holder?.pid !== process.pid) throw new StateDirInUseError(dir, holder?.pid ?? 0);
  const release = (): void => {
    if (holderOf(path)?.pid === process.pid) rmSync(path, { force: true });
  };
  process.once('exit', release);
  return () => {
    process.removeListener('exit', release);
    release();
  };
}
