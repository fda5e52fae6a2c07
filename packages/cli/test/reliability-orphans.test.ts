import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { onceWithState, writeGraph } from './support/graphs.js';
import { killAll, runCli, startCli } from './support/run-cli.js';
import { makeTempDir, removeTempDirs } from './support/temp-dir.js';

/** Commands a killed run left: ended here too, should the test fail before converge ends them. */
const leftBehind: number[] = [];

afterEach(async () => {
  killAll();
  for (const pid of leftBehind.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
  await removeTempDirs();
});

/** The children of `pid` (any of its threads'), as /proc shows them from the fork on. */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return []; // it exited meanwhile
  }
}

/**
 * Starts converge and SIGKILLs it the moment /proc shows its first child:
 * the command it was spawning, whose group id it cannot have written down
 * yet. Busy-waits (the child must not get time to be recorded); returns
 * the children seen.
 */
async function killAtFirstSpawn(args: readonly string[]): Promise<number[]> {
  const cli = startCli(args);
  const pid = cli.child.pid as number;
  const deadline = Date.now() + 30_000;
  let children: number[] = [];
  while (children.length === 0 && Date.now() < deadline && cli.child.exitCode === null) children = childrenOf(pid);
  process.kill(pid, 'SIGKILL');
  await cli.result;
  expect(children.length, `no child of converge seen\n${cli.stderr}`).toBeGreaterThan(0);
  return children;
}

function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('a command left running by a killed engine', () => {
  it('is ended by the next applying run of the same resource, with a warning; never while its converge runs, nor in a dry run', async () => {
    const dir = await makeTempDir();
    const state = join(dir, 'state');
    const pidFile = join(dir, 'pid');
    // The command writes its pid, then runs long; kill -9 of converge cannot end it.
    const long = await writeGraph(dir, 'long.yaml', `graph: g\nresources:\n  exec:\n  - name: job\n    cmd: "echo $$ > ${pidFile}; exec sleep 60"\n    shell: /bin/sh\n`);
    const cli = startCli(['run', '--prefix', state, long]);
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') await sleep(10);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    leftBehind.push(pid);
    const quick = await writeGraph(dir, 'quick.yaml', 'graph: g\nresources:\n  exec:\n  - name: job\n    cmd: "true"\n    shell: /bin/sh\n');

    // Another converge on the same state directory while the first still runs is refused: the command is the first one's own.
    const beside = await runCli(['run', ...onceWithState(state), quick]);
    expect(beside.code, beside.stderr).toBe(2);
    expect(beside.stderr).toContain('is in use by another converge run');
    expect(isRunning(pid)).toBe(true);
    expect(beside.stderr).not.toContain('killed process group');

    cli.child.kill('SIGKILL');
    await cli.result;
    expect(isRunning(pid)).toBe(true);
    // A dry run changes nothing: it ends nothing either.
    const dry = await runCli(['run', '--noop', ...onceWithState(state), quick]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(isRunning(pid)).toBe(true);

    const next = await runCli(['run', ...onceWithState(state), quick]);

    expect(next.code, next.stderr).toBe(0);
    expect(isRunning(pid)).toBe(false);
    expect(next.stderr).toMatch(new RegExp(`exec\\[job\\]: killed process group ${pid} \\(1 process\\) that a run of this resource left running when its converge was killed`));
    // Nothing is left to end the time after.
    const again = await runCli(['run', ...onceWithState(state), quick]);
    expect(again.stderr).not.toContain('killed process group');
  });
});

describe('a command spawned right before converge was killed', () => {
  // QA: a kill -9 in the ~100 ms after a spawn left no record (the group id
  // was written after the spawn); the command ran on for good, unseen by
  // every later run. Its record is now written before the spawn, and the
  // command found by the token in its environment.
  it.each([
    ['watchcmd', 'watchcmd: exec sleep 60\n    watchshell: /bin/sh\n    cmd: /bin/true'],
    ['cmd', 'cmd: exec sleep 60\n    shell: /bin/sh'],
  ])('its %s is ended by the next run, with a warning, however soon after the spawn the kill came', async (_role, params) => {
    const dir = await makeTempDir();
    const graph = await writeGraph(dir, 'job.yaml', `graph: g\nresources:\n  exec:\n  - name: job\n    ${params}\n`);
    const quick = await writeGraph(dir, 'quick.yaml', 'graph: g\nresources:\n  exec:\n  - name: job\n    cmd: /bin/true\n');
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const state = join(dir, `state-${attempt}`);
      const children = await killAtFirstSpawn(['run', '--converger-timeout', '0', '--prefix', state, graph]);
      leftBehind.push(...children);
      // The command runs on without its converge: what the next run must end.
      const left = children.filter(isRunning);
      expect(left, `attempt ${attempt}`).not.toEqual([]);

      const next = await runCli(['run', ...onceWithState(state), quick]);

      expect(next.code, next.stderr).toBe(0);
      expect(children.filter(isRunning), `attempt ${attempt}: left running\n${next.stderr}`).toEqual([]);
      for (const pid of left) {
        expect(next.stderr).toMatch(new RegExp(`exec\\[job\\]: killed process group ${pid} \\(1 process\\) that a run of this resource left running when its converge was killed`));
      }
    }
  });
});
