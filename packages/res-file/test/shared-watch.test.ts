import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchPaths } from '../src/file-watch.js';
import { eventually, makeFile, tempDir } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

const fsWatchHandles = (): number => process.getActiveResourcesInfo().filter((name) => name === 'FSEventWrap').length;

describe('watches started together', () => {
  it('share one watcher, each told only of its own path, until the last one stops', async () => {
    const before = fsWatchHandles();
    const paths = [join(dir, 'a'), join(dir, 'b')];
    await Promise.all(paths.map((path) => writeFile(path, 'x')));
    const files = await Promise.all(paths.map((path) => makeFile(path, { content: 'x' })));
    const controllers = files.map(() => new AbortController());
    const ready = files.map((file) => file.harness.waitForEvent(5_000));
    // Started in the same turn: one batch.
    const done = files.map((file, i) => file.res.watch(controllers[i]!.signal));
    await Promise.all(ready);
    const [a, b] = files as [(typeof files)[0], (typeof files)[0]];

    const aChanged = a.harness.waitForEvent(500);
    await writeFile(paths[0]!, 'changed');
    await aChanged;
    await sleep(100);
    expect(b.harness.events()).toBe(1);

    controllers[0]!.abort();
    await done[0];
    const bChanged = b.harness.waitForEvent(500);
    await writeFile(paths[1]!, 'changed');
    await bChanged;

    controllers[1]!.abort();
    await done[1];
    await Promise.all(files.map((file) => file.close()));
    await eventually(() => fsWatchHandles() === before, 1_000);
  });

  it('fail one by one: a watch error of one (a name too long) leaves the others watching', async () => {
    const okPath = join(dir, 'ok');
    // Validation refuses such a name; the batch must hold even so, for any error one path alone meets.
    const longPath = join(dir, 'n'.repeat(300), 'f');
    const controller = new AbortController();
    const okEvents: number[] = [];
    // Started in the same turn: one batch.
    const ok = watchPaths([{ path: okPath, below: 'nothing' }], () => okEvents.push(Date.now()), controller.signal);
    const long = watchPaths([{ path: longPath, below: 'nothing' }], () => undefined, controller.signal);
    try {
      await expect(long).rejects.toMatchObject({ code: 'ENAMETOOLONG' });
      await eventually(() => okEvents.length > 0);
      const told = okEvents.length;
      await writeFile(okPath, 'changed');
      await eventually(() => okEvents.length > told);
    } finally {
      controller.abort();
    }
    await ok;
  });

  it('reports every deletion, even several of one path within 100 ms', async () => {
    const path = join(dir, 'f');
    await writeFile(path, 'x');
    const file = await makeFile(path, { content: 'x' });
    const controller = new AbortController();
    const ready = file.harness.waitForEvent(5_000);
    const done = file.res.watch(controller.signal);
    await ready;
    try {
      for (let round = 0; round < 5; round++) {
        const deleted = file.harness.waitForEvent(500);
        await unlink(path);
        await deleted;
        const recreated = file.harness.waitForEvent(500);
        await writeFile(path, 'x');
        await recreated;
      }
    } finally {
      controller.abort();
      await done;
      await file.close();
    }
  });
});
