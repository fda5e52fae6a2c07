import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchPaths } from '../src/file-watch.js';
import type { WatchTarget } from '../src/file-watch.js';
import { eventually, tempDir } from './helpers.js';

const fsWatchHandles = (): number => process.getActiveResourcesInfo().filter((name) => name === 'FSEventWrap').length;

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

/** A running watch of `targets` and the events it was told. */
function watched(targets: WatchTarget[]) {
  const controller = new AbortController();
  let events = 0;
  const done = watchPaths(targets, () => events++, controller.signal);
  return {
    events: () => events,
    /** Runs `change`, then waits until one more event came (within `withinMs`). */
    async expectEvent(change: () => Promise<unknown>, withinMs = 1_000): Promise<void> {
      const before = events;
      await change();
      await eventually(() => events > before, withinMs);
    },
    async stop(): Promise<void> {
      controller.abort();
      await done;
    },
  };
}

describe('watches above the managed paths (bare folder watches, picked by name)', () => {
  it('follow a tree moved in place of a folder two levels up, and a tree made again with mkdir -p', async () => {
    const path = join(dir, 'app', 'conf', 'd', 'app.conf');
    await mkdir(join(dir, 'app', 'conf', 'd'), { recursive: true });
    const w = watched([{ path, below: 'nothing' }]);
    try {
      await eventually(() => w.events() > 0);
      const next = join(dir, 'next');
      await mkdir(join(next, 'conf', 'd'), { recursive: true });
      await w.expectEvent(async () => {
        await rename(join(dir, 'app'), join(dir, 'old'));
        await rename(next, join(dir, 'app'));
      });
      // Every level of the new tree is watched now: a change in its deepest folder is seen.
      await w.expectEvent(() => writeFile(path, 'x'));
      await w.expectEvent(() => rm(join(dir, 'app'), { recursive: true }));
      // Made in one go, faster than a watch per level can come up: what was missed is looked at when its parent is watched.
      await w.expectEvent(() => mkdir(join(dir, 'app', 'conf', 'd'), { recursive: true }));
      await sleep(20);
      await w.expectEvent(() => writeFile(path, 'y'));
      // The old tree is no longer watched (once the events of the last change are all in).
      await sleep(100);
      const told = w.events();
      await writeFile(join(dir, 'old', 'conf', 'd', 'app.conf'), 'stale');
      await sleep(100);
      expect(w.events()).toBe(told);
    } finally {
      await w.stop();
    }
  });

  it('tell nobody of the other entries of a busy folder above', async () => {
    const busy = join(dir, 'busy');
    const path = join(busy, 'app', 'app.conf');
    await mkdir(join(busy, 'app'), { recursive: true });
    const w = watched([{ path, below: 'nothing' }]);
    try {
      await eventually(() => w.events() > 0);
      const told = w.events();
      for (let i = 0; i < 200; i++) await writeFile(join(busy, `noise-${i}`), 'x');
      await rm(join(busy, 'noise-7'));
      await mkdir(join(busy, 'apple'));
      await sleep(100);
      expect(w.events()).toBe(told);
      await w.expectEvent(() => writeFile(path, 'x'));
    } finally {
      await w.stop();
    }
  });
});

describe('subtree watches (purge, recurse)', () => {
  it('walk a purged folder again when it is removed and made again: a new entry is seen', async () => {
    const folder = join(dir, 'managed.d');
    await mkdir(folder);
    const handles = fsWatchHandles();
    const w = watched([{ path: folder, below: 'children' }]);
    try {
      await eventually(() => w.events() > 0);
      await w.expectEvent(() => writeFile(join(folder, 'stray'), 'x'));
      await w.expectEvent(() => rm(folder, { recursive: true }));
      await w.expectEvent(() => mkdir(folder));
      // Told once the new folder was walked; from then on its entries are seen.
      await sleep(100);
      await w.expectEvent(() => writeFile(join(folder, 'stray-2'), 'x'));
      await w.expectEvent(() => mkdir(join(folder, 'sub')));
      // Restarted in quick succession, with no time to finish a scan in between.
      for (let round = 0; round < 5; round++) {
        await rm(folder, { recursive: true });
        await mkdir(join(folder, 'sub'), { recursive: true });
      }
      await sleep(100);
      await w.expectEvent(() => writeFile(join(folder, 'stray-3'), 'x'));
    } finally {
      await w.stop();
    }
    // Every watch of every subtree started is closed.
    await eventually(() => fsWatchHandles() === handles, 1_000);
  });

  it('see a change deep in a tree moved in place of a recursive root', async () => {
    const root = join(dir, 'site');
    await mkdir(join(root, 'a'), { recursive: true });
    const w = watched([{ path: root, below: 'everything' }]);
    try {
      await eventually(() => w.events() > 0);
      await w.expectEvent(() => writeFile(join(root, 'a', 'page.html'), 'x'));
      const next = join(dir, 'next');
      await mkdir(join(next, 'b', 'c'), { recursive: true });
      await w.expectEvent(async () => {
        await rename(root, join(dir, 'old'));
        await rename(next, root);
      });
      await sleep(100);
      await w.expectEvent(() => writeFile(join(root, 'b', 'c', 'deep.html'), 'x'));
      // The old tree is not watched any more (once the events of the last change are all in).
      await sleep(100);
      const told = w.events();
      await writeFile(join(dir, 'old', 'a', 'page.html'), 'stale');
      await sleep(100);
      expect(w.events()).toBe(told);
    } finally {
      await w.stop();
    }
  });

  it('hand a folder over to a bare watch when the purge that walked it stops', async () => {
    const folder = join(dir, 'managed.d');
    const path = join(folder, 'sub', 'kept.conf');
    await mkdir(join(folder, 'sub'), { recursive: true });
    // Started in the same turn: one batch, in which the file's folder lies inside the purged folder's subtree.
    const purge = watched([{ path: folder, below: 'children' }]);
    const file = watched([{ path, below: 'nothing' }]);
    try {
      await eventually(() => purge.events() > 0 && file.events() > 0);
      await file.expectEvent(() => writeFile(path, 'x'));
      await purge.stop();
      await file.expectEvent(() => writeFile(path, 'y'));
      await file.expectEvent(() => rm(join(folder, 'sub'), { recursive: true }));
      await file.expectEvent(() => mkdir(join(folder, 'sub')));
      await file.expectEvent(() => writeFile(path, 'z'));
    } finally {
      await purge.stop();
      await file.stop();
    }
  });
});
