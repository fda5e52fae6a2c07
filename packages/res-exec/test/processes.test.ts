import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isEngineError } from '@converge/engine-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execResource, type ExecParams } from '../src/index.js';
import { isRunning } from '../src/process-group.js';
import { eventually, makeExec, readPid, tempDir } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

/** A shell that records its pid and that of a background `sleep 1000`, then waits. */
const withGrandchild = (after = 'wait') =>
  `echo $$ > ${join(dir, 'shell.pid')}; sleep 1000 & echo $! > ${join(dir, 'sleep.pid')}; ${after}`;

async function pids(): Promise<[number, number]> {
  return [await readPid(join(dir, 'shell.pid')), await readPid(join(dir, 'sleep.pid'))];
}

describe('process groups', () => {
  it('timeout kills the whole group and fails with ERR_RESOURCE_TIMEOUT', async () => {
    const live = await makeExec(withGrandchild('echo started >&2; wait'), { shell: '/bin/sh', timeout: 1 });
    const started = Date.now();
    const error: unknown = await live.res.checkApply(true, live.signal).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(isEngineError(error) && error.code).toBe('ERR_RESOURCE_TIMEOUT');
    expect(isEngineError(error) && error.message).toMatch(/timeout of 1s; its process group was killed.*\n?.*started/s);
    const [shell, sleeper] = await pids();
    expect(isRunning(shell)).toBe(false);
    expect(isRunning(sleeper)).toBe(false);
    await live.res.cleanup();
  });

  it.each([0, 5])('a command that exits with %i by itself after the SIGTERM of its timeout fails the run, told so, not as killed (QA)', async (code) => {
    const live = await makeExec(`trap 'exit ${code}' TERM; sleep 6`, { shell: '/bin/sh', timeout: 1 });
    const error: unknown = await live.res.checkApply(true, live.signal).catch((e: unknown) => e);
    expect(isEngineError(error) && error.code).toBe('ERR_RESOURCE_TIMEOUT');
    expect(isEngineError(error) && error.message).toMatch(`ran longer than its timeout of 1s: it exited with code ${code} after the stop signal`);
    await live.res.cleanup();
  });

  it('aborting checkApply kills the command and its grandchildren, and tells what it printed last on stderr', async () => {
    const live = await makeExec(withGrandchild('echo waiting for the lock >&2; wait'), { shell: '/bin/sh' });
    const running = live.res.checkApply(true, live.signal);
    const [shell, sleeper] = await pids();
    expect(isRunning(sleeper)).toBe(true);
    await sleep(100);
    live.abort();
    await expect(running).rejects.toThrow(/was stopped \(aborted\); its process group was killed; last lines of stderr:\nwaiting for the lock/);
    expect(isRunning(shell)).toBe(false);
    expect(isRunning(sleeper)).toBe(false);
    await live.res.cleanup();
  });

  it('a command that ignores SIGTERM is killed with SIGKILL after the grace period', async () => {
    const live = await makeExec(`trap '' TERM; ${withGrandchild('while true; do sleep 0.1; done')}`, { shell: '/bin/sh' });
    const running = live.res.checkApply(true, live.signal);
    const [shell] = await pids();
    live.abort();
    await expect(running).rejects.toThrow(/aborted/);
    expect(isRunning(shell)).toBe(false);
    await live.res.cleanup();
  });

  it('a command that finishes its work after SIGTERM and exits 0 by itself is done, not stopped (QA: told as killed, maybe half done)', async () => {
    const done = join(dir, 'done');
    const live = await makeExec(`trap '' TERM; sleep 0.5; echo finished > ${done}`, { shell: '/bin/sh' });
    const running = live.res.checkApply(true, live.signal);
    await sleep(100);
    live.abort();
    expect(await running).toBe(false);
    expect(await readFile(done, 'utf8')).toBe('finished\n');
    // Not "cmd succeeded": a timeout or forced stop has already failed the run in the engine (QA: both were logged).
    expect(live.harness.logs().map((entry) => [entry.level, entry.message])).toContainEqual(['warn', 'cmd exited with 0 after it was told to stop (This operation was aborted)']);
    expect(live.harness.logs().map((entry) => entry.message)).not.toContain('cmd succeeded');
    await live.res.cleanup();
  });

  it('a command that exits with another code by itself after SIGTERM is told so, not as killed (QA)', async () => {
    const live = await makeExec(`trap 'exit 5' TERM; sleep 6`, { shell: '/bin/sh' });
    const running = live.res.checkApply(true, live.signal);
    await sleep(100);
    live.abort();
    await expect(running).rejects.toThrow(/was stopped \(aborted\): it exited with code 5 after the stop signal/);
    await live.res.cleanup();
  });

  it('cleanup kills children a successful cmd left behind', async () => {
    const live = await makeExec(withGrandchild('echo started'), { shell: '/bin/sh' });
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    expect(live.harness.sent().stdout).toBe('started\n');
    const [, sleeper] = await pids();
    expect(isRunning(sleeper)).toBe(true);
    await live.res.cleanup();
    expect(isRunning(sleeper)).toBe(false);
  });

  it('leaves no record of a finished group in its state folder once cleanup returns (QA: a one-shot run left process-groups/<pgid>.json behind)', async () => {
    for (const cmd of ['echo done', 'exit 3']) {
      const live = await makeExec(cmd, { shell: '/bin/sh' });
      await live.res.checkApply(true, live.signal).catch(() => undefined);
      await live.res.cleanup();
      // The process may exit right after cleanup: what is on disk then is what a next run finds.
      expect(await readdir(await live.harness.ctx.varDir('process-groups')), cmd).toEqual([]);
      await live.harness.dispose();
    }
  });

  it('interrupt kills the running group at once', async () => {
    const live = await makeExec(`trap '' TERM; ${withGrandchild()}`, { shell: '/bin/sh' });
    const running = live.res.checkApply(true, live.signal);
    const [shell, sleeper] = await pids();
    const started = Date.now();
    live.res.interrupt();
    await expect(running).rejects.toThrow(/was stopped \(interrupted\)/);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(isRunning(shell)).toBe(false);
    expect(isRunning(sleeper)).toBe(false);
    await live.res.cleanup();
  });

  it('interrupt kills, at once, a group that a stop is still giving its grace period', async () => {
    const live = await makeExec(`trap '' TERM; ${withGrandchild()}`, { shell: '/bin/sh' });
    const running = live.res.checkApply(true, live.signal).catch(() => undefined);
    const [shell, sleeper] = await pids();
    const cleanup = live.res.cleanup(); // SIGTERM is ignored: it waits 2 s, then SIGKILLs
    await sleep(200);
    expect(isRunning(sleeper)).toBe(true);
    live.res.interrupt();
    // Gone well within the 2 s grace period (waited for up to 1 s: a loaded machine reaps slowly).
    for (let waited = 0; waited < 1000 && (isRunning(shell) || isRunning(sleeper)); waited += 20) await sleep(20);
    expect(isRunning(shell)).toBe(false);
    expect(isRunning(sleeper)).toBe(false);
    live.abort();
    await Promise.all([running, cleanup]);
  });

  it('interrupt kills watchcmd and the children a finished cmd left behind', async () => {
    const watchPidFile = join(dir, 'watch.pid');
    const live = await makeExec(withGrandchild('echo started'), {
      shell: '/bin/sh',
      watchcmd: `trap '' TERM; echo $$ > ${watchPidFile}; exec sleep 1000`,
      watchshell: '/bin/sh',
    });
    const watching = live.res.watch!(live.signal);
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    const [, sleeper] = await pids();
    const watcher = await readPid(watchPidFile);
    live.res.interrupt();
    await expect(watching).rejects.toThrow(/watchcmd .* was killed by SIGKILL/);
    expect(isRunning(watcher)).toBe(false);
    await sleep(100);
    expect(isRunning(sleeper)).toBe(false);
    await live.res.cleanup();
  });

  it('a command killed by someone else is an error naming the signal', async () => {
    const live = await makeExec('kill -9 $$', { shell: '/bin/sh' });
    await expect(live.res.checkApply(true, live.signal)).rejects.toThrow(/was killed by SIGKILL/);
    await live.res.cleanup();
  });
});

describe.runIf(process.getuid?.() === 0)('user and group (as root)', () => {
  it('runs cmd and guards as the user, with the user’s primary group', async () => {
    const live = await makeExec('/usr/bin/id -u -n', { user: 'nobody', ifcmd: 'test "$(id -u)" = 65534', ifshell: '/bin/sh', cwd: '/' });
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    expect(live.harness.sent().stdout).toBe('nobody\n');
    await live.res.cleanup();
    const groupOf = await makeExec('/usr/bin/id -g', { user: 'nobody', cwd: '/' });
    await groupOf.res.checkApply(true, groupOf.signal);
    expect(groupOf.harness.sent().stdout).toBe('65534\n');
  });

  it('runs with a group given by name or by id', async () => {
    for (const group of ['nogroup', '65534']) {
      const live = await makeExec('/usr/bin/id -g', { group, cwd: '/' });
      await live.res.checkApply(true, live.signal);
      expect(live.harness.sent().stdout).toBe('65534\n');
    }
  });

  it('an unknown user fails the check, not init (an earlier resource may create it), and runs nothing', async () => {
    const live = await makeExec(`/usr/bin/touch ${dir}/ran`, { user: 'no-such-user-here' });
    await expect(live.res.checkApply(true, live.signal)).rejects.toThrow(/cannot resolve user\/group: unknown user "no-such-user-here"/);
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it.runIf(process.getuid?.() === 0)('runs as a user that did not exist yet at init (made by useradd before its check)', async () => {
    const user = `cvg-later-${process.pid}`;
    const live = await makeExec('/usr/bin/id -un', { user, cwd: '/' });
    execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', user]);
    try {
      await live.res.checkApply(true, live.signal);
      expect(live.harness.sent().stdout).toBe(`${user}\n`);
    } finally {
      execFileSync('userdel', [user]);
    }
  });

  it.runIf(process.getuid?.() === 0)('starts watchcmd at the first check when its user did not exist yet when the watch started', async () => {
    const user = `cvg-watch-${process.pid}`;
    await chmod(dir, 0o777); // watchcmd, as that user, writes here
    const live = await makeExec('/bin/true', { user, cwd: '/', watchcmd: `/usr/bin/id -un > ${dir}/watching-as; exec /bin/sleep 1000`, watchshell: '/bin/sh' });
    const watching = live.res.watch!(live.signal);
    await live.harness.waitForEvent();
    expect(existsSync(join(dir, 'watching-as'))).toBe(false);
    execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', user]);
    try {
      await live.res.checkApply(true, live.signal);
      // The shell's `>` makes the file before id writes to it: wait for its line, not for the file.
      const watchingAs = (): Promise<string> => readFile(join(dir, 'watching-as'), 'utf8').then((text) => text.trim(), () => '');
      await eventually(async () => (await watchingAs()) !== '');
      expect(await watchingAs()).toBe(user);
    } finally {
      live.abort();
      await watching.catch(() => undefined);
      await live.res.cleanup();
      execFileSync('userdel', [user]);
    }
  });

  it('refuses a bare uid with no passwd entry and no group (it would keep the engine\'s group)', async () => {
    const live = await makeExec('/usr/bin/id', { user: '54321', cwd: '/' });
    await expect(live.res.checkApply(true, live.signal)).rejects.toThrow(/user 54321 has no passwd entry, so no primary group: give group too/);
    const withGroup = await makeExec('/usr/bin/id -g', { user: '54321', group: '65534', cwd: '/' });
    if (process.getuid?.() === 0) {
      await withGroup.res.checkApply(true, withGroup.signal);
      expect(withGroup.harness.sent().stdout).toBe('65534\n');
    }
  });

  it('never hands getent an option: a user or group starting with "-" is refused at load', () => {
    for (const [param, value] of [['user', '-sfiles'], ['group', '-sfiles'], ['user', 'a:b'], ['user', '4294967295']] as const) {
      const issues = execResource.validate?.({ cmd: '/bin/true', [param]: value } as ExecParams) ?? [];
      expect(issues).toEqual([expect.objectContaining({ param })]);
    }
    expect(execResource.validate?.({ cmd: '/bin/true', user: 'nobody', group: '65534' } as ExecParams)).toEqual([]);
  });
});
