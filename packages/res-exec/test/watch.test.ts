import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isEngineError } from '@converge/engine-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRunning } from '../src/process-group.js';
import { eventually, makeExec, readPid, tempDir } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

describe('watch', () => {
  it('turns each line of watchcmd into an event and stops it (and its children) on abort', async () => {
    const live = await makeExec('/bin/true', {
      watchcmd: `echo $$ > ${join(dir, 'watch.pid')}; sleep 1000 & echo $! > ${join(dir, 'sleep.pid')}; echo one; echo; echo two; wait`,
      watchshell: '/bin/sh',
    });
    const watching = live.res.watch!(live.signal);
    await eventually(() => live.harness.events() >= 3); // live + "one" + "two" (the empty line is no event)
    const watchPid = await readPid(join(dir, 'watch.pid'));
    const sleeper = await readPid(join(dir, 'sleep.pid'));
    expect(live.harness.events()).toBe(3);
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    live.abort();
    await watching;
    expect(isRunning(watchPid)).toBe(false);
    expect(isRunning(sleeper)).toBe(false);
    await live.res.cleanup();
  });

  it('fails the watch with ERR_RESOURCE_WATCH when watchcmd ends', async () => {
    const live = await makeExec('/bin/true', { watchcmd: 'echo bye >&2; exit 2', watchshell: '/bin/sh' });
    const error: unknown = await live.res.watch!(live.signal).catch((e: unknown) => e);
    expect(isEngineError(error) && error.code).toBe('ERR_RESOURCE_WATCH');
    expect(isEngineError(error) && error.message).toMatch(/watchcmd .* exited with code 2; it must keep running; last lines of stderr:\nbye/);
    await live.res.cleanup();
  });

  it('cleanup stops a watchcmd whose watch was never aborted', async () => {
    const live = await makeExec('/bin/true', { watchcmd: `echo $$ > ${join(dir, 'watch.pid')}; exec sleep 1000`, watchshell: '/bin/sh' });
    const watching = live.res.watch!(live.signal);
    const pid = await readPid(join(dir, 'watch.pid'));
    await live.res.cleanup();
    expect(isRunning(pid)).toBe(false);
    live.abort();
    await watching;
  });

  it('watchfiles: creating, writing and removing a file are events, also below a missing directory', async () => {
    const file = join(dir, 'a', 'b', 'file');
    const live = await makeExec('/bin/true', { watchfiles: [file] });
    const watching = live.res.watch!(live.signal);
    expect(live.harness.events()).toBe(1);

    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const afterDirs = live.harness.events();
    let next = live.harness.waitForEvent();
    writeFileSync(file, 'x');
    await next;
    const afterCreate = live.harness.events();
    expect(afterCreate).toBeGreaterThan(afterDirs);

    next = live.harness.waitForEvent();
    rmSync(file);
    await next;

    writeFileSync(join(dir, 'a', 'b', 'unrelated'), 'y');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const settled = live.harness.events();
    writeFileSync(join(dir, 'a', 'b', 'unrelated'), 'z');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(live.harness.events()).toBe(settled);

    live.abort();
    await watching;
    await live.res.cleanup();
  });

  it('watchfiles: a parent folder renamed away is an event, and the path is followed where it is, not in the moved folder', async () => {
    const file = join(dir, 'wd', 'sub', 'f');
    mkdirSync(join(dir, 'wd', 'sub'), { recursive: true });
    writeFileSync(file, 'x');
    const live = await makeExec('/bin/true', { watchfiles: [file] });
    const watching = live.res.watch!(live.signal);
    let next = live.harness.waitForEvent();
    renameSync(join(dir, 'wd'), join(dir, 'wd2'));
    await next;
    // Made again at the path: its changes are events.
    mkdirSync(join(dir, 'wd', 'sub'), { recursive: true });
    writeFileSync(file, 'new');
    await new Promise((resolve) => setTimeout(resolve, 150));
    next = live.harness.waitForEvent();
    writeFileSync(file, 'newer');
    await next;
    // The moved folder is no longer watched.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const settled = live.harness.events();
    writeFileSync(join(dir, 'wd2', 'sub', 'f'), 'old place');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(live.harness.events()).toBe(settled);

    live.abort();
    await watching;
    await live.res.cleanup();
  });

  it('watchfiles: one change is one event, however many system calls it takes (touch of a new file)', async () => {
    const file = join(dir, 'touched');
    const live = await makeExec('/bin/true', { watchfiles: [file] });
    const watching = live.res.watch!(live.signal);
    const before = live.harness.events();
    // Creation and times set by separate calls, as touch makes them.
    execFileSync('touch', [file]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(live.harness.events()).toBe(before + 1);
    execFileSync('sh', ['-c', `echo a >> ${file}; chmod 600 ${file}`]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(live.harness.events()).toBe(before + 2);
    live.abort();
    await watching;
    await live.res.cleanup();
  });

  it('creates is watched: removing the path makes cmd run again', async () => {
    const marker = join(dir, 'marker');
    const live = await makeExec(`touch ${marker}`, { shell: '/bin/sh', creates: marker });
    const watching = live.res.watch!(live.signal);
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await live.res.checkApply(true, live.signal)).toBe(true);
    const event = live.harness.waitForEvent();
    rmSync(marker);
    await event;
    expect(await live.res.checkApply(false, live.signal)).toBe(false);
    live.abort();
    await watching;
    await live.res.cleanup();
  });
});
