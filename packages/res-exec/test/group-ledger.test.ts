import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupLedger } from '../src/group-ledger.js';
import { isRunning, startTicksOf } from '../src/process-group.js';

const started: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of started.splice(0)) {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A process in a group of its own, as res-exec starts commands. */
function groupLeader(command: string): ChildProcess {
  const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  started.push(child);
  return child;
}

/** A zombie: a child that exited and that its parent (a shell turned into `sleep`) never reaps, as a killed converge whose parent has not reaped it yet. */
async function zombie(): Promise<number> {
  const parent = groupLeader('sleep 0 & echo $!; exec sleep 30');
  const pid = Number((await new Promise<string>((resolve) => parent.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString())))).trim());
  for (let waited = 0; isRunning(pid) && waited < 5000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  return pid;
}

/** The record a run writes for a group it started, as if `owner` had started it. */
async function writeRecord(dir: string, pgid: number, owner: number): Promise<void> {
  const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
  const record = { pgid, leaderStart: startTicksOf(pgid), bootId, ownerPid: owner, ownerStart: startTicksOf(owner) };
  await writeFile(join(dir, `${pgid}.json`), JSON.stringify(record));
}

describe('GroupLedger.reapLeftGroups', () => {
  it('ends a group whose converge is a zombie: killed, not yet reaped (QA: the old command ran on beside the new run)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'converge-ledger-'));
    dirs.push(dir);
    const owner = await zombie();
    expect(isRunning(owner)).toBe(false);
    expect(startTicksOf(owner)).toBeDefined();
    const left = groupLeader('exec sleep 60');
    const pgid = left.pid as number;
    await writeRecord(dir, pgid, owner);

    const reaped = await new GroupLedger(async () => dir).reapLeftGroups();

    expect(reaped).toEqual([{ pgid, processes: 1 }]);
    expect(isRunning(pgid)).toBe(false);
  });

  it('leaves the group of a converge that still runs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'converge-ledger-'));
    dirs.push(dir);
    const left = groupLeader('exec sleep 60');
    const pgid = left.pid as number;
    await writeRecord(dir, pgid, process.pid);

    expect(await new GroupLedger(async () => dir).reapLeftGroups()).toEqual([]);
    expect(isRunning(pgid)).toBe(true);
  });
});
