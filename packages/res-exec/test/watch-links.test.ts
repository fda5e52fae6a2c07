import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeExec, tempDir } from './helpers.js';
import { inotifyWatchesOn } from './inotify-watches.js';
import { expectEvent, expectNoEvent, SETTLE_MS, stop } from './watch-events.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

/** `versions/v1.conf` and `v2.conf`, and `cur/app.conf -> ../versions/v1.conf`, as a release switch lays them out. */
function releases(): { link: string; v1: string; v2: string; versions: string } {
  const versions = join(dir, 'versions');
  mkdirSync(versions);
  mkdirSync(join(dir, 'cur'));
  const [v1, v2] = [join(versions, 'v1.conf'), join(versions, 'v2.conf')];
  writeFileSync(v1, 'one');
  writeFileSync(v2, 'two');
  const link = join(dir, 'cur', 'app.conf');
  symlinkSync('../versions/v1.conf', link);
  return { link, v1, v2, versions };
}

describe('a watched path that is a symlink is followed, as inotify on the path follows it (QA)', () => {
  it('watchfiles: its target written, changed in mode, removed and made again are events; re-pointed, the new target is watched and the old one no longer', async () => {
    const { link, v1, v2, versions } = releases();
    const live = await makeExec('/bin/true', { watchfiles: [link] });
    const watching = live.res.watch!(live.signal);
    await sleep(SETTLE_MS);

    await expectEvent(live, () => appendFileSync(v1, 'more'));
    await expectEvent(live, () => chmodSync(v1, 0o600));
    await expectNoEvent(live, () => writeFileSync(join(versions, 'beside'), 'x'));

    await expectEvent(live, () => execFileSync('ln', ['-sfn', '../versions/v2.conf', link]));
    await expectEvent(live, () => appendFileSync(v2, 'more'));
    await expectNoEvent(live, () => appendFileSync(v1, 'old'));
    await expectEvent(live, () => rmSync(v2));
    await expectEvent(live, () => writeFileSync(v2, 'back'));

    // Replaced by a plain file: its old target is no longer watched.
    await expectEvent(live, () => {
      rmSync(link);
      writeFileSync(link, 'plain');
    });
    await expectNoEvent(live, () => appendFileSync(v2, 'gone'));
    expect(inotifyWatchesOn([versions])).toBe(0);
    await stop(live, watching);
  });

  it('watchfiles: a link further along the chain re-pointed is an event, and its new target is watched', async () => {
    const { link, v1, v2 } = releases();
    mkdirSync(join(dir, 'hop'));
    symlinkSync('../versions/v1.conf', join(dir, 'hop', 'app.conf'));
    rmSync(link);
    symlinkSync('../hop/app.conf', link);
    const live = await makeExec('/bin/true', { watchfiles: [link] });
    const watching = live.res.watch!(live.signal);
    await sleep(SETTLE_MS);

    await expectEvent(live, () => appendFileSync(v1, 'more'));
    await expectEvent(live, () => execFileSync('ln', ['-sfn', '../versions/v2.conf', join(dir, 'hop', 'app.conf')]));
    await expectEvent(live, () => appendFileSync(v2, 'more'));
    await expectNoEvent(live, () => appendFileSync(v1, 'old'));
    await stop(live, watching);
  });

  it('creates: its target removed makes cmd run again', async () => {
    const target = join(dir, 'built');
    const link = join(dir, 'marker');
    writeFileSync(target, 'x');
    symlinkSync(target, link);
    const live = await makeExec(`touch ${target}`, { shell: '/bin/sh', creates: link });
    const watching = live.res.watch!(live.signal);
    expect(await live.res.checkApply(true, live.signal)).toBe(true); // the link leads to a file: nothing to do
    await sleep(SETTLE_MS);
    await expectEvent(live, () => rmSync(target));
    expect(await live.res.checkApply(false, live.signal)).toBe(false);
    expect(await live.res.checkApply(true, live.signal)).toBe(false);
    await sleep(SETTLE_MS);
    expect(await live.res.checkApply(true, live.signal)).toBe(true);
    await stop(live, watching);
  });

  it('a folder watched whole through a symlink: the folder it leads to moved away and made anew is watched, the moved one no longer', async () => {
    const real = join(dir, 'real');
    mkdirSync(real);
    const link = join(dir, 'conf.d');
    symlinkSync('real', link);
    const live = await makeExec('/bin/true', { watchfiles: [`${link}/`] });
    const watching = live.res.watch!(live.signal);
    await sleep(SETTLE_MS);

    await expectEvent(live, () => writeFileSync(join(real, 'a.conf'), 'a'));
    await expectEvent(live, () => {
      renameSync(real, join(dir, 'real.old'));
      mkdirSync(real);
    });
    await expectEvent(live, () => writeFileSync(join(real, 'b.conf'), 'b'));
    await expectNoEvent(live, () => writeFileSync(join(dir, 'real.old', 'c.conf'), 'c'));
    await stop(live, watching);
  });
});
