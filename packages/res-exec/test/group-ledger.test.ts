import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupLedger } from '../src/group-ledger.js';
import { GROUP_TOKEN_VAR, newGroupToken } from '../src/group-token.js';
import { isRunning, liveMembers, startTicksOf } from '../src/process-group.js';
import { eventually } from './helpers.js';

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

/** A process in a group of its own, as res-exec starts commands; `token` in its environment, as res-exec gives it. */
function groupLeader(command: string, token?: string): ChildProcess {
  const env = token === undefined ? { PATH: '/usr/bin:/bin' } : { PATH: '/usr/bin:/bin', [GROUP_TOKEN_VAR]: token };
  const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['pipe', 'pipe', 'ignore'], env });
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

/** A group whose leader is gone: a shell that started `sleep 60` in the background and exited. Its pid (the group id) and start time. */
async function leaderlessGroup(token?: string): Promise<{ pgid: number; leaderStart: number }> {
  const leader = groupLeader('sleep 60 & echo; read x', token);
  const pgid = leader.pid as number;
  await new Promise((resolve) => leader.stdout?.once('data', resolve));
  const leaderStart = startTicksOf(pgid) as number;
  leader.stdin?.end();
  await new Promise((resolve) => leader.once('exit', resolve));
  return { pgid, leaderStart };
}

/** The record a run writes, under `token`, as if `owner` had started the command: the intent, and the group once known. */
async function writeRecord(dir: string, token: string, owner: number, group?: { pgid: number; leaderStart: number | undefined }): Promise<void> {
  const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
  const intent = JSON.stringify({ bootId, ownerPid: owner, ownerStart: startTicksOf(owner) });
  await writeFile(join(dir, `${token}.group`), group === undefined ? `${intent}\n` : `${intent}\n${JSON.stringify(group)}\n`);
}

async function ledgerDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-ledger-'));
  dirs.push(dir);
  return dir;
}

describe('GroupLedger.reapLeftGroups', () => {
  it('ends a group whose converge is a zombie: killed, not yet reaped (QA: the old command ran on beside the new run)', async () => {
    const dir = await ledgerDir();
    const owner = await zombie();
    expect(isRunning(owner)).toBe(false);
    expect(startTicksOf(owner)).toBeDefined();
    const token = newGroupToken();
    const left = groupLeader('exec sleep 60', token);
    const pgid = left.pid as number;
    await writeRecord(dir, token, owner, { pgid, leaderStart: startTicksOf(pgid) });

    const reaped = await new GroupLedger(async () => dir).reapLeftGroups();

    expect(reaped).toEqual([{ pgid, processes: 1, outcome: 'killed' }]);
    expect(isRunning(pgid)).toBe(false);
    expect(await readdir(dir)).toEqual([]);
  });

  it('leaves the group of a converge that still runs', async () => {
    const dir = await ledgerDir();
    const token = newGroupToken();
    const left = groupLeader('exec sleep 60', token);
    const pgid = left.pid as number;
    await writeRecord(dir, token, process.pid, { pgid, leaderStart: startTicksOf(pgid) });
    const spawning = newGroupToken();
    const starting = groupLeader('exec sleep 60', spawning);
    await writeRecord(dir, spawning, process.pid);

    expect(await new GroupLedger(async () => dir).reapLeftGroups()).toEqual([]);
    expect(isRunning(pgid)).toBe(true);
    expect(isRunning(starting.pid as number)).toBe(true);
    expect((await readdir(dir)).sort()).toEqual([`${spawning}.group`, `${token}.group`].sort());
  });

  it('ends the groups of the processes carrying the token of a record without a group id (QA: a kill -9 right after the spawn left the command running for good)', async () => {
    const dir = await ledgerDir();
    const owner = await zombie();
    const token = newGroupToken();
    const left = groupLeader('sleep 60 & exec sleep 60', token);
    const other = groupLeader('exec sleep 60', newGroupToken());
    const pgid = left.pid as number;
    await eventually(() => liveMembers(pgid).length === 2);
    await writeRecord(dir, token, owner);

    const reaped = await new GroupLedger(async () => dir).reapLeftGroups();

    // Both processes carry it: their one group is ended once.
    expect(reaped).toEqual([{ pgid, processes: 2, outcome: 'killed' }]);
    expect(liveMembers(pgid)).toEqual([]);
    expect(isRunning(other.pid as number)).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it('never ends a group whose id a new process got: its leader started at another time (PID reuse)', async () => {
    const dir = await ledgerDir();
    const owner = await zombie();
    const token = newGroupToken();
    // Even carrying the token: the leader is not the process recorded.
    const other = groupLeader('exec sleep 60', token);
    const pgid = other.pid as number;
    await writeRecord(dir, token, owner, { pgid, leaderStart: (startTicksOf(pgid) as number) - 1 });

    expect(await new GroupLedger(async () => dir).reapLeftGroups()).toEqual([]);
    expect(isRunning(pgid)).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it('ends a group whose leader is gone only when a member carries the token: another group that got the id later is left alone (the resource warns of it)', async () => {
    const dir = await ledgerDir();
    const owner = await zombie();
    const ours = newGroupToken();
    const left = await leaderlessGroup(ours);
    await writeRecord(dir, ours, owner, left);
    const unrelated = await leaderlessGroup();
    const reused = newGroupToken();
    await writeRecord(dir, reused, owner, unrelated);

    const reaped = await new GroupLedger(async () => dir).reapLeftGroups();

    expect(reaped).toHaveLength(2);
    expect(reaped).toContainEqual({ pgid: left.pgid, processes: 1, outcome: 'killed' });
    expect(reaped).toContainEqual({ pgid: unrelated.pgid, processes: 1, outcome: 'left alone' });
    expect(liveMembers(left.pgid)).toEqual([]);
    expect(liveMembers(unrelated.pgid)).toHaveLength(1);
    expect(await readdir(dir)).toEqual([]);
  });
});
