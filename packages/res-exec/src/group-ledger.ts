import { readFileSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, liveMembers, startTicksOf } from './process-group.js';

/** What is kept of a started process group, in the resource's state folder. */
interface GroupRecord {
  readonly pgid: number;
  /** The leader's start time (clock ticks since boot), to tell it from a later process given the same id. */
  readonly leaderStart: number;
  /** Only groups of this boot can still run. */
  readonly bootId: string;
  /** The converge process that started it, and when that started: a group whose converge still runs is that run's own. */
  readonly ownerPid: number;
  readonly ownerStart: number;
}

/** What reapLeftGroups found and ended: one entry per group. */
export interface ReapedGroup {
  readonly pgid: number;
  readonly processes: number;
}

const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';
let bootId: string | undefined;

function currentBootId(): string {
  bootId ??= readFileSync(BOOT_ID_FILE, 'utf8').trim();
  return bootId;
}

/**
 * The process groups a resource's commands run in, written down while they
 * run (one small file per group in the resource's state folder). A stop of
 * the engine ends every group (see LiveGroups); a kill -9 of the engine, or
 * a crash, cannot, and a command would run on beside the one the next run
 * starts. The next run of the same resource ends what such a run left.
 */
export class GroupLedger {
  /** Per group, the write of its record: a forget waits for it, so no record outlives its group. */
  readonly #writes = new Map<number, Promise<void>>();
  /** Removals of forgotten records still under way. */
  readonly #removals = new Set<Promise<void>>();

  constructor(private readonly folder: () => Promise<string>) {}

  record(pgid: number): void {
    const leaderStart = startTicksOf(pgid);
    if (leaderStart === undefined) return; // already gone
    const record: GroupRecord = { pgid, leaderStart, bootId: currentBootId(), ownerPid: process.pid, ownerStart: ownStart() };
    const write = this.folder()
      .then((dir) => writeFile(join(dir, `${pgid}.json`), JSON.stringify(record), { mode: 0o600 }))
      .catch(() => undefined);
    this.#writes.set(pgid, write);
  }

  forget(pgid: number): void {
    const written = this.#writes.get(pgid);
    if (written === undefined) return;
    this.#writes.delete(pgid);
    const removal = written
      .then(() => this.folder())
      .then((dir) => rm(join(dir, `${pgid}.json`), { force: true }))
      .catch(() => undefined)
      .finally(() => this.#removals.delete(removal));
    this.#removals.add(removal);
  }

  /**
   * Once every record written so far is on disk and every forgotten one is
   * gone: a one-shot run that exits right after its last command would
   * otherwise leave the record of a finished group behind.
   */
  async settled(): Promise<void> {
    await Promise.all([...this.#writes.values(), ...this.#removals]);
  }

  /**
   * Ends (SIGKILL) the groups an earlier run of this resource left running
   * when its converge died, and forgets their records; the records of a
   * converge still running (another on the same state directory) stay. A group counts as left by it only when it is
   * of this boot, still has members, and its leader, if still there, is the
   * very process recorded (same start time): a group id is not handed out
   * again while the group has members, and a new leader with the same id
   * started later.
   */
  async reapLeftGroups(): Promise<ReapedGroup[]> {
    const dir = await this.folder();
    const reaped: ReapedGroup[] = [];
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.json')) continue;
      const file = join(dir, name);
      const record = await readFile(file, 'utf8')
        .then((text) => JSON.parse(text) as Partial<GroupRecord>)
        .catch(() => undefined);
      const status = record === undefined ? 'gone' : statusOf(record);
      if (status === 'owned by a live run') continue;
      if (status === 'left') {
        const pgid = record?.pgid as number;
        const members = liveMembers(pgid);
        killGroup(pgid);
        await untilEmpty(pgid);
        reaped.push({ pgid, processes: members.length });
      }
      await rm(file, { force: true });
    }
    return reaped;
  }
}

let ownStartTicks: number | undefined;

function ownStart(): number {
  ownStartTicks ??= startTicksOf(process.pid) ?? 0;
  return ownStartTicks;
}

/**
 * `left`: its converge is gone and the group still runs (its leader, if
 * still there, is the very process recorded); `owned by a live run`: the
 * converge that started it still runs (this one, or another on the same
 * state directory), so it is that run's own; `gone`: nothing to end.
 */
function statusOf(record: Partial<GroupRecord>): 'left' | 'owned by a live run' | 'gone' {
  const { pgid, leaderStart, ownerPid, ownerStart } = record;
  if (typeof pgid !== 'number' || !Number.isInteger(pgid) || pgid <= 1 || typeof leaderStart !== 'number') return 'gone';
  if (typeof ownerPid !== 'number' || typeof ownerStart !== 'number') return 'gone';
  if (record.bootId !== currentBootId()) return 'gone';
  // A converge killed but not yet reaped by its parent (a zombie; for a
  // while after kill -9, or for good under an init that never reaps) runs
  // nothing: the state lock was taken over from it, and its groups are left.
  if (isRunning(ownerPid) && startTicksOf(ownerPid) === ownerStart) return 'owned by a live run';
  const members = liveMembers(pgid);
  if (members.length === 0) return 'gone';
  return !members.includes(pgid) || startTicksOf(pgid) === leaderStart ? 'left' : 'gone';
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: it ended meanwhile.
  }
}

async function untilEmpty(pgid: number): Promise<void> {
  for (let waited = 0; waited < 1000 && liveMembers(pgid).length > 0; waited += 20) await sleep(20);
}
