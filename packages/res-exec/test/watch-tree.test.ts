import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeExec, tempDir } from './helpers.js';
import { expectEvent, expectNoEvent, SETTLE_MS, stop } from './watch-events.js';
import { inotifyWatchesOn } from './inotify-watches.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

const run = promisify(execFile);

describe('watchfiles: an entry ending in / watches the whole folder below it', () => {
  it('files made, written, renamed, removed, changed in mode, and new subfolders with their files are events; paths beside it are not', async () => {
    const root = join(dir, 'conf.d');
    mkdirSync(join(root, 'old', 'deep'), { recursive: true });
    writeFileSync(join(root, 'a.conf'), 'a');
    writeFileSync(join(root, 'old', 'deep', 'n.conf'), 'n');
    const live = await makeExec('/bin/true', { watchfiles: [`${root}/`] });
    const watching = live.res.watch!(live.signal);
    await sleep(SETTLE_MS);

    await expectEvent(live, () => writeFileSync(join(root, 'b.conf'), 'b'));
    await expectEvent(live, () => appendFileSync(join(root, 'a.conf'), 'more'));
    await expectEvent(live, () => renameSync(join(root, 'b.conf'), join(root, 'c.conf')));
    await expectEvent(live, () => rmSync(join(root, 'c.conf')));
    await expectEvent(live, () => chmodSync(join(root, 'a.conf'), 0o600));
    // Folders that were there at the start, at any depth.
    await expectEvent(live, () => appendFileSync(join(root, 'old', 'deep', 'n.conf'), 'more'));
    // Folders made while watched, and what is made in them afterwards.
    await expectEvent(live, () => mkdirSync(join(root, 'new', 'deeper'), { recursive: true }));
    await expectEvent(live, () => writeFileSync(join(root, 'new', 'deeper', 'f'), 'f'));
    await expectEvent(live, () => rmSync(join(root, 'old'), { recursive: true }));

    await expectNoEvent(live, () => writeFileSync(join(dir, 'beside'), 'x'));
    await stop(live, watching);
  });

  it('a folder missing at the start is watched once made, and again after it was removed and made anew; one renamed away is not', async () => {
    const root = join(dir, 'missing', 'conf.d');
    const live = await makeExec('/bin/true', { watchfiles: [`${root}/`] });
    const watching = live.res.watch!(live.signal);
    await sleep(SETTLE_MS);

    await expectEvent(live, () => mkdirSync(root, { recursive: true }));
    await expectEvent(live, () => writeFileSync(join(root, 'f'), 'made'));

    await expectEvent(live, () => rmSync(root, { recursive: true }));
    await expectEvent(live, () => mkdirSync(join(root, 'sub'), { recursive: true }));
    await expectEvent(live, () => writeFileSync(join(root, 'sub', 'f'), 'made again'));

    await expectEvent(live, () => renameSync(root, `${root}.old`));
    await expectNoEvent(live, () => writeFileSync(join(`${root}.old`, 'sub', 'f'), 'old place'));
    expect(inotifyWatchesOn([`${root}.old`, join(`${root}.old`, 'sub')])).toBe(0);
    await stop(live, watching);
  });

  it('a burst of changes is one event (a few at most when the machine is loaded): 200 files written in a subfolder, one edit of a file, the whole tree removed', async () => {
    const root = join(dir, 'conf.d');
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(root, 'sub', 'f1'), '');
    const live = await makeExec('/bin/true', { watchfiles: [`${root}/`] });
    const watching = live.res.watch!(live.signal);
    await sleep(SETTLE_MS);

    // A burst ends after 25 quiet ms: a writer held off the CPU that long by
    // other work splits it in two, which is still a burst taken together.
    const eventsOf = async (burst: () => Promise<unknown> | void): Promise<number> => {
      const before = live.harness.events();
      await burst();
      await sleep(400);
      return live.harness.events() - before;
    };
    const within = (count: number): boolean => count >= 1 && count <= 3;
    const written = await eventsOf(() => void execFileSync('sh', ['-c', `cd ${join(root, 'sub')} && for i in $(seq 200); do echo $i > f$i; done`]));
    expect(within(written), `${written} events for 200 files written`).toBe(true);
    const edited = await eventsOf(() => void execFileSync('sh', ['-c', `echo edit >> ${join(root, 'sub', 'f1')}; chmod 600 ${join(root, 'sub', 'f1')}`]));
    expect(within(edited), `${edited} events for an edit and a chmod`).toBe(true);
    // By another process, while this one reads the events as they come.
    const removed = await eventsOf(() => run('rm', ['-rf', root]));
    expect(within(removed), `${removed} events for the tree removed`).toBe(true);
    await stop(live, watching);
  });

  it('holds one inotify watch per folder of the tree, and none once aborted', async () => {
    const root = join(dir, 'conf.d');
    const folders = [root, join(root, 'a'), join(root, 'a', 'b')];
    mkdirSync(folders[2]!, { recursive: true });
    const live = await makeExec('/bin/true', { watchfiles: [`${root}/`] });
    const watching = live.res.watch!(live.signal);
    await sleep(SETTLE_MS);
    expect(inotifyWatchesOn(folders)).toBe(3);

    await expectEvent(live, () => mkdirSync(join(root, 'c')));
    folders.push(join(root, 'c'));
    expect(inotifyWatchesOn(folders)).toBe(4);

    await stop(live, watching);
    expect(inotifyWatchesOn(folders)).toBe(0);
  });

  it('creates ending in / is watched the same way', async () => {
    const out = join(dir, 'out');
    mkdirSync(out);
    const live = await makeExec('/bin/true', { creates: `${out}/` });
    const watching = live.res.watch!(live.signal);
    await sleep(SETTLE_MS);
    await expectEvent(live, () => writeFileSync(join(out, 'f'), 'x'));
    await stop(live, watching);
  });

  it('an entry without the trailing / still sees only the folder itself, not what is inside', async () => {
    const folder = join(dir, 'plain');
    mkdirSync(folder);
    const live = await makeExec('/bin/true', { watchfiles: [folder] });
    const watching = live.res.watch!(live.signal);
    await expectNoEvent(live, () => writeFileSync(join(folder, 'inside'), 'x'));
    await expectEvent(live, () => chmodSync(folder, 0o700));
    await stop(live, watching);
  });
});
