import { existsSync, readFileSync } from 'node:fs';
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
