import { appendFileSync, watch } from 'node:fs';
import { lstat, readFile, readlink, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { symlinkAtomic, writeFileAtomic } from '../src/atomic-write.js';
import { makeFile, tempDir } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => {
  ({ dir, remove } = await tempDir());
});
afterEach(async () => {
  await remove();
});

describe('making a file or link where the check found nothing', () => {
  it('never replaces what another process made there meanwhile: the write fails with EEXIST and leaves it (QA: a log reopened after rotation lost its writes)', async () => {
    const path = join(dir, 'log');
    await writeFile(path, 'the app was first\n');
    await expect(writeFileAtomic(path, Buffer.from('converge\n'), {}, undefined, 'declared', true)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(path, 'utf8')).toBe('the app was first\n');
    const link = join(dir, 'link');
    await symlink('/elsewhere', link);
    await expect(symlinkAtomic(link, '/wanted', undefined, 'declared', true)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readlink(link)).toBe('/elsewhere');
    // No temp file is left behind.
    expect((await readdir(dir)).sort()).toEqual(['link', 'log']);
    // Where nothing is, it is made as before.
    await writeFileAtomic(join(dir, 'new'), Buffer.from('made\n'), {}, undefined, 'declared', true);
    expect(await readFile(join(dir, 'new'), 'utf8')).toBe('made\n');
    expect((await lstat(join(dir, 'new'))).nlink).toBe(1);
  });

  it('keeps a file another process creates while the resource creates it, and its writes', async () => {
    const path = join(dir, 'log');
    const live = await makeFile(path, { state: 'exists', mode: '0644' });
    try {
      for (let round = 0; round < 20; round++) {
        await rm(path, { force: true });
        // The app writes as soon as converge's temp file shows (its check has found the path missing).
        const appWrote = new Promise<void>((resolve) => {
          const watcher = watch(dir, (_event, name) => {
            if (name?.includes('.converge-')) {
              watcher.close();
              appendFileSync(path, `line ${round}\n`);
              resolve();
            }
          });
        });
        await live.checkApply(true);
        await appWrote;
        expect(await readFile(path, 'utf8'), `round ${round}`).toBe(`line ${round}\n`);
      }
    } finally {
      await live.close();
    }
  });
});
