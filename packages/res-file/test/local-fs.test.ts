import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasContent, lstatEntry, readNoFollow } from '../src/fs-state.js';
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
    expect(await hasContent('/proc/self/status', Buffer.from('no'))).toBe(false);
  });

  it('compares content the same way on both paths, small and large files alike', async () => {
    await learnFsType(dir);
    for (const size of [0, 10, 1024 * 1024, 2 * 1024 * 1024 + 3]) {
      const path = join(dir, `f${size}`);
      const bytes = Buffer.alloc(size, 7);
      await writeFile(path, bytes);
      expect(await hasContent(path, bytes)).toBe(true);
      expect(await hasContent(path, Buffer.concat([bytes, Buffer.from('x')]))).toBe(false);
      if (size > 0) {
        expect(await hasContent(path, bytes.subarray(1))).toBe(false);
        const other = Buffer.from(bytes);
        other[size - 1] = 8;
        expect(await hasContent(path, other)).toBe(false);
      }
      expect((await readNoFollow(path)).equals(await readFile(path))).toBe(true);
      expect((await lstatEntry(path))?.size).toBe(size);
    }
    expect(await hasContent(join(dir, 'missing'), Buffer.from('x'))).toBeUndefined();
    expect(await lstatEntry(join(dir, 'missing'))).toBeUndefined();
    expect(await lstatEntry(join(dir, 'f10', 'below-a-file'))).toBeUndefined();
  });
});
