import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { groupTokenOf, isGroupToken, newGroupToken, processesCarrying } from './group-token.js';
import { isRunning, liveMembers, pgrpOf, startTicksOf } from './process-group.js';

/**
 * What is kept of a command, in the resource's state folder, in a file
 * named after its token: before it is spawned, who starts it (the intent);
 * once it runs, the id of its group too (a second line).
 */
interface GroupRecord {
  /** Only groups of this boot can still run. */
  readonly bootId: string;
  /** The converge process that started it, and when that started: a group whose converge still runs is that run's own. */
  readonly ownerPid: number;
  readonly ownerStart: number;
  /** Its group (its leader's pid); absent when the engine died before it was written. */
  readonly pgid?: number;
  /** The leader's start time (clock ticks since boot), to tell it from a later process given the same id. */
  readonly leaderStart?: number;
}

/** A group an earlier run left: `killed`, or `left alone` when nothing shows that it is still the one that run started. */
export interface ReapedGroup {
  readonly pgid: number;
  readonly processes: number;
  readonly outcome: 'killed' | 'left alone';
}

const SUFFIX = '.group';
/** What a converge before the tokens wrote: `<pgid>.json`, the record whole. */
const OLD_RECORD = /^\d+\.json$/;
const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';
let bootId: string | undefined;

function currentBootId(): string {
  bootId ??= readFileSync(BOOT_ID_FILE, 'utf8').trim();
  return bootId;
}

/**
 * The commands a resource runs, written down while they run (one small file
 * per process group in the resource's state folder). A stop of the engine
 * ends every group (see LiveGroups); a kill -9 of the engine, or a crash,
 * cannot, and a command would run on beside the one the next run starts.
 * The next run of the same resource ends what such a run left.
 *
 * A group's id is only known once it runs, so a record is written before
 * the spawn, under a fresh token that the command gets in its environment
 * (GROUP_TOKEN_VAR): a kill -9 between the spawn and the second line leaves
 * a record without an id, and the next run finds the command by its token.
 * Writes are synchronous, so a record is complete before the spawn and
 * before it is removed; not fsynced: a kill -9 does not lose what the
 * kernel holds, and a power loss ends the commands too.
 */
export class GroupLedger {
  /** Per token, its record's file. */
  readonly #files = new Map<string, string>();
  #dir: string | undefined;

  constructor(private readonly folder: () => Promise<string>) {}

  /** Writes the record of a command about to be spawned; the token to give it. Recording is best effort: a command runs without one. */
  async intend(): Promise<string> {
    const token = newGroupToken();
    const intent = line({ bootId: currentBootId(), ownerPid: process.pid, ownerStart: ownStart() });
    const write = (dir: string): void => {
      const file = join(dir, `${token}${SUFFIX}`);
      writeFileSync(file, intent, { mode: 0o600, flag: 'wx' });
      this.#files.set(token, file);
    };
    try {
      // The folder is made once, not before every spawn (it delayed each), and again if it was removed meanwhile.
      this.#dir ??= await this.folder();
      try {
        write(this.#dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        this.#dir = await this.folder();
        write(this.#dir);
      }
    } catch {
      // An unwritable state folder: the command runs all the same, as it did before records.
    }
    return token;
  }

  /** The command of `token` runs, leading group `pgid`. */
  started(token: string, pgid: number): void {
    const file = this.#files.get(token);
    const leaderStart = startTicksOf(pgid);
    // A leader already gone: the record stays without an id, and its children are found by the token.
    if (file === undefined || leaderStart === undefined) return;
    try {
      appendFileSync(file, line({ pgid, leaderStart }));
    } catch {
      // Removed meanwhile: nothing to keep.
    }
  }

  /** The group of `token` is empty, or was never spawned. */
  forget(token: string): void {
    const file = this.#files.get(token);
    if (file === undefined) return;
    this.#files.delete(token);
    try {
      rmSync(file, { force: true });
    } catch {
      // An unwritable state folder: the next run finds the group gone.
    }
  }

  /**
   * Ends (SIGKILL) the groups an earlier run of this resource left running
   * when its converge died, and forgets their records; the records of a
   * converge still running (another on the same state directory) stay. A
   * group is ended only when it is of this boot, still has members, and is
   * still the one recorded: its leader is the very process recorded (same
   * start time), or, the leader gone, a member carries its token (a new
   * leader given the same id later, or a group formed under that id once
   * the old one was empty, is never touched). A record without a group id
   * (the engine died right after the spawn) ends the groups of the
   * processes that carry its token.
   */
  async reapLeftGroups(): Promise<ReapedGroup[]> {
    const dir = await this.folder();
    const reaped: ReapedGroup[] = [];
    const withoutId = new Map<string, string>();
    for (const name of await readdir(dir)) {
      const token = name.endsWith(SUFFIX) ? name.slice(0, -SUFFIX.length) : undefined;
      if (!(token !== undefined && isGroupToken(token)) && !OLD_RECORD.test(name)) continue;
      const file = join(dir, name);
      const record = parse(await readFile(file, 'utf8').catch(() => ''));
      const status = record === undefined ? 'gone' : statusOf(record, token);
      if (status === 'owned by a live run') continue;
      if (status === 'no id' && token !== undefined) {
        withoutId.set(token, file);
        continue;
      }
      if (typeof status === 'object') reaped.push(await end(status.pgid, status.verified));
      await rm(file, { force: true });
    }
    // Read every process's environment only when a run died between a spawn and its record.
    const carriers = withoutId.size > 0 ? processesCarrying(new Set(withoutId.keys())) : new Map<string, number[]>();
    for (const [token, file] of withoutId) {
      const groups = new Set((carriers.get(token) ?? []).map((pid) => pgrpOf(pid)));
      for (const pgid of groups) if (pgid !== undefined && pgid > 1) reaped.push(await end(pgid, true));
      await rm(file, { force: true });
    }
    return reaped;
  }
}

function line(fields: Partial<GroupRecord>): string {
  return `${JSON.stringify(fields)}\n`;
}

/** The record's lines merged; a line cut short by a kill is dropped. Undefined when not even the first line is whole. */
function parse(text: string): Partial<GroupRecord> | undefined {
  let record: Partial<GroupRecord> | undefined;
  for (const part of text.split('\n')) {
    try {
      record = { ...record, ...(JSON.parse(part) as Partial<GroupRecord>) };
    } catch {
      // cut short
    }
  }
  return record;
}

let ownStartTicks: number | undefined;

function ownStart(): number {
  ownStartTicks ??= startTicksOf(process.pid) ?? 0;
  return ownStartTicks;
}

/**
 * `owned by a live run`: the converge that started it still runs (this
 * one, or another on the same state directory), so it is that run's own;
 * `no id`: its converge died before the group's id was written (the group
 * is found by its token); a group: its converge is gone and the group
 * still has members, `verified` when it is still the one recorded;
 * `gone`: nothing to end.
 */
function statusOf(record: Partial<GroupRecord>, token: string | undefined): 'owned by a live run' | 'no id' | 'gone' | { pgid: number; verified: boolean } {
  const { pgid, leaderStart, ownerPid, ownerStart } = record;
  if (typeof ownerPid !== 'number' || typeof ownerStart !== 'number') return 'gone';
  if (record.bootId !== currentBootId()) return 'gone';
  // A converge killed but not yet reaped by its parent (a zombie; for a
  // while after kill -9, or for good under an init that never reaps) runs
  // nothing: the state lock was taken over from it, and its groups are left.
  if (isRunning(ownerPid) && startTicksOf(ownerPid) === ownerStart) return 'owned by a live run';
  if (typeof pgid !== 'number' || !Number.isInteger(pgid) || pgid <= 1 || typeof leaderStart !== 'number') return 'no id';
  const members = liveMembers(pgid);
  if (members.length === 0) return 'gone';
  // The id given to a new process: not the group recorded, and not its leader.
  if (members.includes(pgid)) return startTicksOf(pgid) === leaderStart ? { pgid, verified: true } : 'gone';
  return { pgid, verified: token !== undefined && members.some((pid) => groupTokenOf(pid) === token) };
}

/** Kills group `pgid` when `verified`; says what it did. */
async function end(pgid: number, verified: boolean): Promise<ReapedGroup> {
  const members = liveMembers(pgid);
  if (!verified) return { pgid, processes: members.length, outcome: 'left alone' };
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: it ended meanwhile.
  }
  for (let waited = 0; waited < 1000 && liveMembers(pgid).length > 0; waited += 20) await sleep(20);
  return { pgid, processes: members.length, outcome: 'killed' };
}
