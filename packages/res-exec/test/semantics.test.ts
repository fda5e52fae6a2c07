import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeExec, tempDir } from './helpers.js';
import type { LiveExec } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
let live: LiveExec | undefined;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(async () => {
  live?.abort();
  await live?.res.cleanup();
  live = undefined;
  await remove();
});

const runs = () => (existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8').split('\n').filter(Boolean).length : 0);
const counting = () => `echo run >> ${join(dir, 'log')}`;

describe('a dry run (--noop)', () => {
  it('says what it would run, and runs nothing (QA: said only "would change")', async () => {
    live = await makeExec(counting(), { shell: '/bin/sh', cwd: dir, donecmd: 'true', env: { TOKEN: 's3cret' } });
    expect(await live.res.checkApply(false, live.signal)).toBe(false);
    const said = await live.res.describeChange();
    expect(said).toBe(`run /bin/sh -c ${JSON.stringify(counting())} (in ${dir})\nthen run true`);
    expect(said).not.toContain('s3cret');
    expect(runs()).toBe(0);
  });
});

describe('when cmd runs', () => {
  it('runs on the first checkApply, then not again without an event or a refresh', async () => {
    live = await makeExec(counting(), { shell: '/bin/sh' });
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    expect(await live.res.checkApply(true, live.signal)).toBe(true);
    expect(await live.res.checkApply(false, live.signal)).toBe(true);
    expect(runs()).toBe(1);
  });

  it('polled (meta: {poll}): every check is a tick and runs the guards and cmd', async () => {
    const stop = join(dir, 'stop');
    live = await makeExec(counting(), { shell: '/bin/sh', creates: stop }, { polled: true });
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    expect(runs()).toBe(2);
    // Guards still apply on each tick.
    writeFileSync(stop, '');
    expect(await live.res.checkApply(true, live.signal)).toBe(true);
    expect(runs()).toBe(2);
  });

  it('runs again after a watched file changes', async () => {
    const watched = join(dir, 'watched');
    live = await makeExec(counting(), { shell: '/bin/sh', watchfiles: [watched] });
    const watchesLive = live.harness.waitForEvent();
    const watching = live.res.watch!(live.signal);
    await watchesLive;
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    expect(await live.res.checkApply(true, live.signal)).toBe(true);
    const event = live.harness.waitForEvent();
    writeFileSync(watched, 'changed');
    await event;
    await sleep(100); // creating and writing a file are several inotify events
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    expect(await live.res.checkApply(true, live.signal)).toBe(true);
    expect(runs()).toBe(2);
    live.abort();
    await watching;
  });

  it('an event that arrives while cmd runs is not lost', async () => {
    const watched = join(dir, 'watched');
    live = await makeExec(`touch ${watched}; ${counting()}`, { shell: '/bin/sh', watchfiles: [watched] });
    const watchesLive = live.harness.waitForEvent();
    const watching = live.res.watch!(live.signal);
    await watchesLive;
    const event = live.harness.waitForEvent();
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    await event; // cmd itself touched the watched file
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    expect(runs()).toBe(2);
    live.abort();
    await watching;
  });

  it('runs again on refresh, still behind its guards', async () => {
    live = await makeExec(counting(), { shell: '/bin/sh', nifcmd: `test -e ${join(dir, 'stop')}`, nifshell: '/bin/sh' });
    await live.res.checkApply(true, live.signal);
    live.harness.setRefresh(true);
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    expect(runs()).toBe(2);
    writeFileSync(join(dir, 'stop'), '');
    expect(await live.res.checkApply(true, live.signal)).toBe(true);
    expect(runs()).toBe(2);
  });

  it('runs again when a received param changed', async () => {
    live = await makeExec(counting(), { shell: '/bin/sh' });
    await live.res.checkApply(true, live.signal);
    live.harness.setReceived({ env: { changed: true } });
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    live.harness.setReceived({ env: { changed: false } });
    expect(await live.res.checkApply(true, live.signal)).toBe(true);
    expect(runs()).toBe(2);
  });

  it('refreshonly: runs only when a refresh is pending, never on the first checkApply or on events', async () => {
    const watched = join(dir, 'watched');
    live = await makeExec(counting(), { shell: '/bin/sh', refreshonly: true, watchfiles: [watched] });
    const watchesLive = live.harness.waitForEvent();
    const watching = live.res.watch!(live.signal);
    await watchesLive;
    expect(await live.res.checkApply(true, live.signal)).toBe(true);
    const event = live.harness.waitForEvent();
    writeFileSync(watched, 'x');
    await event;
    expect(await live.res.checkApply(true, live.signal)).toBe(true);
    expect(runs()).toBe(0);
    live.harness.setRefresh(true);
    expect(await live.res.checkApply(false, live.signal)).toBe(false);
    expect(runs()).toBe(0);
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    expect(runs()).toBe(1);
    live.abort();
    await watching;
  });
});

// A check that comes before the watch told of a change (the engine checks a
// parent first when a child is about to run) finds the change all the same.
// The watch is never started here: every change is one whose event is still
// on its way.

/** One applying check: true when cmd ran. */
async function ran(exec: LiveExec): Promise<boolean> {
  const before = runs();
  await exec.res.checkApply(true, exec.signal);
  return runs() > before;
}

describe('a check before the watch told of a change', () => {
  it('runs cmd once a watched file is created, written, changed in its mode or removed, and not when nothing changed', async () => {
    const watched = join(dir, 'watched');
    live = await makeExec(counting(), { shell: '/bin/sh', watchfiles: [watched] });
    expect(await ran(live)).toBe(true);
    expect(await ran(live)).toBe(false);
    writeFileSync(watched, 'one\n');
    expect(await ran(live)).toBe(true);
    expect(await ran(live)).toBe(false);
    appendFileSync(watched, 'two\n');
    expect(await ran(live)).toBe(true);
    chmodSync(watched, 0o600);
    expect(await ran(live)).toBe(true);
    rmSync(watched);
    expect(await ran(live)).toBe(true);
    expect(await ran(live)).toBe(false);
  });

  it('follows a symlink at the path: its target written is a change', async () => {
    const [target, link] = [join(dir, 'target'), join(dir, 'link')];
    writeFileSync(target, 'one\n');
    symlinkSync(target, link);
    live = await makeExec(counting(), { shell: '/bin/sh', watchfiles: [link] });
    expect(await ran(live)).toBe(true);
    appendFileSync(target, 'two\n');
    expect(await ran(live)).toBe(true);
    expect(await ran(live)).toBe(false);
  });

  it('a folder watched whole: an entry made in it is a change; the path of creates removed lets cmd run', async () => {
    const [folder, marker] = [join(dir, 'conf.d'), join(dir, 'marker')];
    mkdirSync(folder);
    live = await makeExec(`${counting()}; touch ${marker}`, { shell: '/bin/sh', watchfiles: [`${folder}/`], creates: marker });
    expect(await ran(live)).toBe(true);
    expect(await ran(live)).toBe(false);
    writeFileSync(join(folder, 'app.conf'), 'x\n');
    // A change it finds is still behind the guards: creates exists.
    expect(await ran(live)).toBe(false);
    rmSync(marker);
    expect(await ran(live)).toBe(true);
    expect(await ran(live)).toBe(false);
  });

  it('a dry run runs nothing for it, and refreshonly is not run by it', async () => {
    const watched = join(dir, 'watched');
    live = await makeExec(counting(), { shell: '/bin/sh', watchfiles: [watched] });
    expect(await ran(live)).toBe(true);
    writeFileSync(watched, 'one\n');
    expect(await live.res.checkApply(false, live.signal)).toBe(false);
    expect(runs()).toBe(1);
    expect(await ran(live)).toBe(true);

    const refreshonly = await makeExec(`${counting()} # refreshonly`, { shell: '/bin/sh', watchfiles: [watched], refreshonly: true });
    expect(await ran(refreshonly)).toBe(false);
    appendFileSync(watched, 'two\n');
    expect(await ran(refreshonly)).toBe(false);
    await refreshonly.res.cleanup();
  });
});
