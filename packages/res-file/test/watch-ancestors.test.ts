import { mkdir, readdir, readFile, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { queryObjects, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestEngine } from '@converge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileResource } from '../src/index.js';
import { watchPaths } from '../src/file-watch.js';
import { SubtreeWatch } from '../src/subtree-watch.js';
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
    /** Waits until no event came for 200 ms (a loaded machine delivers late), then says how many came. */
    async settled(): Promise<number> {
      for (let seen = -1, waited = 0; seen !== events && waited < 5_000; waited += 200) {
        seen = events;
        await sleep(200);
      }
      return events;
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
      const told = await w.settled();
      await writeFile(join(dir, 'old', 'conf', 'd', 'app.conf'), 'stale');
      await sleep(200);
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
      const told = await w.settled();
      for (let i = 0; i < 200; i++) await writeFile(join(busy, `noise-${i}`), 'x');
      await rm(join(busy, 'noise-7'));
      await mkdir(join(busy, 'apple'));
      await sleep(200);
      expect(w.events()).toBe(told);
      await w.expectEvent(() => writeFile(path, 'x'));
    } finally {
      await w.stop();
    }
  });
});

describe('watches through a symlinked folder', () => {
  it('see the folder the link leads to moved away and made again later, the link unchanged', async () => {
    await mkdir(join(dir, 'real'));
    await mkdir(join(dir, 'x'));
    await symlink(join(dir, 'real'), join(dir, 'x', 'link'));
    const path = join(dir, 'x', 'link', 'app.conf');
    const w = watched([{ path, below: 'nothing' }]);
    try {
      await eventually(() => w.events() > 0);
      await w.expectEvent(() => writeFile(path, 'x'));
      await w.expectEvent(() => rename(join(dir, 'real'), join(dir, 'real.old')));
      await sleep(100);
      await w.expectEvent(() => mkdir(join(dir, 'real')));
      // The folder made again is the one watched now.
      await w.expectEvent(() => writeFile(path, 'y'));
    } finally {
      await w.stop();
    }
  });

  it('see a link further along the chain re-pointed', async () => {
    for (const name of ['one', 'two', 'hops', 'x']) await mkdir(join(dir, name));
    await symlink(join(dir, 'one'), join(dir, 'hops', 'hop'));
    await symlink(join(dir, 'hops', 'hop'), join(dir, 'x', 'link'));
    const path = join(dir, 'x', 'link', 'app.conf');
    const w = watched([{ path, below: 'nothing' }]);
    try {
      await eventually(() => w.events() > 0);
      await w.expectEvent(async () => {
        await unlink(join(dir, 'hops', 'hop'));
        await symlink(join(dir, 'two'), join(dir, 'hops', 'hop'));
      });
      await sleep(50);
      await w.expectEvent(() => writeFile(join(dir, 'two', 'app.conf'), 'x'));
      // The folder it led to before is not watched any more (once the events of the last change are all in).
      const told = await w.settled();
      await writeFile(join(dir, 'one', 'app.conf'), 'stale');
      await sleep(200);
      expect(w.events()).toBe(told);
    } finally {
      await w.stop();
    }
  });
});

describe('a purged folder reached through a symlink', () => {
  it('is walked again when the folder the link leads to is moved away and made again later', async () => {
    await mkdir(join(dir, 'real'));
    await symlink(join(dir, 'real'), join(dir, 'purged'));
    const w = watched([{ path: join(dir, 'purged'), below: 'children' }]);
    try {
      await eventually(() => w.events() > 0);
      await w.expectEvent(() => writeFile(join(dir, 'real', 'stray'), 'x'));
      await w.expectEvent(() => rename(join(dir, 'real'), join(dir, 'real.old')));
      await sleep(100);
      await w.expectEvent(() => mkdir(join(dir, 'real')));
      await sleep(50);
      await w.expectEvent(() => writeFile(join(dir, 'real', 'stray-2'), 'x'));
    } finally {
      await w.stop();
    }
  });
});

describe('a file under a declared symlink, in a running engine', () => {
  it('is made again as soon as the folder the link leads to is moved away and made again later', async () => {
    await mkdir(join(dir, 'x'));
    await mkdir(join(dir, 'real'));
    const path = join(dir, 'x', 'link', 'app.conf');
    const yaml = [
      'graph: link',
      'resources:',
      '  file:',
      `  - {name: ${join(dir, 'x', 'link')}, state: exists, symlink: true, source: ${join(dir, 'real')}}`,
      `  - {name: ${path}, state: exists, content: "good\\n"}`,
      '',
    ].join('\n');
    const running = await startTestEngine({ resources: [fileResource], yaml });
    const good = async (): Promise<boolean> => (await readFile(join(dir, 'real', 'app.conf'), 'utf8').catch(() => '')) === 'good\n';
    try {
      await running.waitConverged(10_000);
      expect(await good()).toBe(true);
      await rename(join(dir, 'real'), join(dir, 'real.old'));
      // The file's check now waits (up to 2 s) for the folder that the link resource manages to come back.
      await sleep(300);
      await mkdir(join(dir, 'real'));
      // Seen through the watches of where the link leads, and by the waiting check: well within those 2 s.
      await eventually(good, 1_000);
    } finally {
      await running.stop();
    }
  }, 20_000);
});

describe('a purged copy with force, in a running engine', () => {
  it('never copies into or purges the folder a symlink swapped in for it leads to', async () => {
    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    const victim = join(dir, 'victim');
    await mkdir(join(src, 'sub'), { recursive: true });
    await writeFile(join(src, 'a'), 'AAAA');
    await writeFile(join(src, 'sub', 'b'), 'B');
    const yaml = ['graph: swap', 'resources:', '  file:', `  - {name: ${dst}/, state: exists, source: ${src}/, recurse: true, purge: true, force: true}`, ''].join('\n');
    const running = await startTestEngine({ resources: [fileResource], yaml });
    try {
      await running.waitConverged(10_000);
      // Each round: the copy is made again at once, and a link takes its place while that check runs.
      for (let round = 0; round < 15; round++) {
        await rm(victim, { recursive: true, force: true });
        await mkdir(victim);
        await writeFile(join(victim, 'keep'), 'precious');
        // The engine may be copying into it meanwhile (ENOTEMPTY): rm tries again then.
        await rm(dst, { recursive: true, force: true, maxRetries: 20, retryDelay: 5 });
        await symlink(victim, dst).catch(() => undefined);
        await sleep(200);
        expect(await readdir(victim)).toEqual(['keep']);
      }
    } finally {
      await running.stop();
    }
  }, 30_000);
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

  it('let go of each subtree watch they start again: a folder made again and again costs no memory', async () => {
    const folder = join(dir, 'managed.d');
    await mkdir(folder);
    const w = watched([{ path: folder, below: 'children' }]);
    try {
      await eventually(() => w.events() > 0);
      for (let round = 0; round < 30; round++) {
        await rm(folder, { recursive: true });
        await w.expectEvent(() => mkdir(folder));
      }
      await sleep(50);
      setFlagsFromString('--expose-gc');
      (runInNewContext('gc') as () => void)();
      // The live one, and perhaps the one closed last: not one per restart.
      expect(queryObjects(SubtreeWatch, { format: 'count' })).toBeLessThanOrEqual(2);
    } finally {
      await w.stop();
    }
  });

  it('take a folder replaced by a file while its events wait in the queue in their stride', async () => {
    const root = join(dir, 'site');
    await mkdir(root);
    const w = watched([{ path: root, below: 'everything' }]);
    try {
      await eventually(() => w.events() > 0);
      // All at once, before the watch reads a single event: looking at site/x then meets a file on its way (ENOTDIR).
      mkdirSync(join(root, 'x'));
      rmSync(root, { recursive: true });
      writeFileSync(root, 'a file now');
      await sleep(100);
      await w.expectEvent(async () => {
        await rm(root);
        await mkdir(root);
      });
    } finally {
      await w.stop();
    }
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
      const told = await w.settled();
      await writeFile(join(dir, 'old', 'a', 'page.html'), 'stale');
      await sleep(200);
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
