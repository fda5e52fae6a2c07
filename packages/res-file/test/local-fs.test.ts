import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lstatEntry, readNoFollow } from '../src/fs-state.js';
import { isDirOnLocalFs, isOnLocalFs, learnFsType } from '../src/local-fs.js';
import { tempDir } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

describe('which file systems take the synchronous path', () => {
  it('treats the temp directory (a disk or tmpfs) as local once learned, and says no before', async () => {
    const fresh = join(dir, 'fresh');
    expect(isDirOnLocalFs(fresh)).toBe(false);
    await learnFsType(fresh);
    expect(isDirOnLocalFs(fresh)).toBe(true);
    expect(isOnLocalFs(join(fresh, 'file'))).toBe(true);
  });

  it('keeps async calls for a file system that is not known to be local (procfs here)', async () => {
    await learnFsType('/proc/self');
    expect(isOnLocalFs('/proc/self/status')).toBe(false);
    // The async path gives the same answers as the sync one.
    expect((await lstatEntry('/proc/self/status'))?.kind).toBe('file');
    expect((await readNoFollow('/proc/self/status')).toString()).toMatch(/^Name:/m);
  });

  it('reads the same bytes on both paths, small and large files alike', async () => {
    await learnFsType(dir);
    for (const size of [0, 10, 1024 * 1024, 2 * 1024 * 1024 + 3]) {
      const path = join(dir, `f${size}`);
      await writeFile(path, Buffer.alloc(size, 7));
      expect((await readNoFollow(path)).equals(await readFile(path))).toBe(true);
      expect((await lstatEntry(path))?.size).toBe(size);
    }
    expect(await lstatEntry(join(dir, 'missing'))).toBeUndefined();
    expect(await lstatEntry(join(dir, 'f10', 'below-a-file'))).toBeUndefined();
  });
});
