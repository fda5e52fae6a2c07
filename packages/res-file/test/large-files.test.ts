import { mkdir, open, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileAtomic } from '../src/atomic-write.js';
import { LARGE_FILE_BYTES, sameBytesInChunks } from '../src/large-files.js';
import { leftoverTempFiles, makeFile, tempDir } from './helpers.js';

// A source over LARGE_FILE_BYTES is compared and copied a chunk at a time
// (a file over 2 GiB could not be read into one buffer at all: QA saw
// "File size (2306867200) is greater than 2 GiB", blamed on the target).

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

/** Just over the threshold, and not a whole number of 1 MiB chunks: the last chunk is a short one. */
const LARGE_SIZE = LARGE_FILE_BYTES + (1 << 20) + 12_345;

/** A sparse file of `size` bytes with a few marks written in it, so that it is not all zeros. */
async function largeFile(path: string, size = LARGE_SIZE): Promise<void> {
  await writeFile(path, 'head of the file');
  await truncate(path, size);
  await writeByte(path, 40 << 20, 'm');
  await writeByte(path, size - 1, 't');
}

async function writeByte(path: string, position: number, byte: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(byte, position);
  } finally {
    await handle.close();
  }
}

async function sameBytes(a: string, b: string): Promise<boolean> {
  return (await readFile(a)).equals(await readFile(b));
}

describe('sameBytesInChunks', () => {
  it('finds a difference anywhere, in the last short chunk too, and a missing target', async () => {
    const source = join(dir, 'source');
    const copy = join(dir, 'copy');
    await largeFile(source);
    await largeFile(copy);
    expect(await sameBytesInChunks(source, copy)).toBe(true);
    await writeByte(copy, 40 << 20, 'x');
    expect(await sameBytesInChunks(source, copy)).toBe(false);
    await largeFile(copy);
    await writeByte(copy, LARGE_SIZE - 1, 'x');
    expect(await sameBytesInChunks(source, copy)).toBe(false);
    await largeFile(copy, LARGE_SIZE + 1);
    expect(await sameBytesInChunks(source, copy)).toBe(false);
    expect(await sameBytesInChunks(source, join(dir, 'missing'))).toBeUndefined();
  });
});

describe('a large source', () => {
  it('is copied whole, then left alone, and a changed byte in the copy is put back', async () => {
    const source = join(dir, 'disk.img');
    const target = join(dir, 'copy.img');
    await largeFile(source);
    const file = await makeFile(target, { state: 'exists', source });
    try {
      expect(await file.res.checkApply(true, AbortSignal.timeout(60_000))).toBe(false);
      expect(await sameBytes(source, target)).toBe(true);
      const inode = (await stat(target)).ino;
      expect(await file.res.checkApply(true, AbortSignal.timeout(60_000))).toBe(true);
      expect((await stat(target)).ino).toBe(inode);

      await writeByte(target, 50 << 20, 'x');
      expect(await file.res.checkApply(false, AbortSignal.timeout(60_000))).toBe(false);
      expect(await file.res.checkApply(true, AbortSignal.timeout(60_000))).toBe(false);
      expect(await sameBytes(source, target)).toBe(true);
      expect(await leftoverTempFiles(dir)).toEqual([]);
    } finally {
      await file.close();
    }
  });

  it('is copied by copyFileAtomic with the attributes asked for, and an abort leaves the target as it was', async () => {
    const source = join(dir, 'source');
    const target = join(dir, 'target');
    await largeFile(source);
    await copyFileAtomic(target, source, { mode: 0o640 });
    expect(await sameBytes(source, target)).toBe(true);
    expect((await stat(target)).mode & 0o7777).toBe(0o640);

    await writeFile(target, 'old');
    const controller = new AbortController();
    const copying = copyFileAtomic(target, source, {}, controller.signal);
    setImmediate(() => controller.abort(new Error('stop')));
    await expect(copying).rejects.toThrow('stop');
    expect(await readFile(target, 'utf8')).toBe('old');
    expect(await leftoverTempFiles(dir)).toEqual([]);
  });

  it('is said to differ in a dry run, without its content', async () => {
    const source = join(dir, 'source');
    const target = join(dir, 'target');
    await largeFile(source);
    await writeFile(target, 'small');
    const file = await makeFile(target, { state: 'exists', source });
    try {
      const change = await file.res.describeChange(new AbortController().signal);
      expect(change).toContain(`content differs (large: 5 bytes now, ${LARGE_SIZE} bytes wanted, a copy of ${source})`);
      expect(await readFile(target, 'utf8')).toBe('small');
    } finally {
      await file.close();
    }
    // A copy to be made has no size now: only the one it gets.
    const fresh = await makeFile(join(dir, 'fresh'), { state: 'exists', source });
    try {
      expect(await fresh.res.describeChange(new AbortController().signal)).toContain(`content: ${LARGE_SIZE} bytes (large, a copy of ${source})`);
    } finally {
      await fresh.close();
    }
  });

  it('in a recursive directory copy, is copied and compared the same way', async () => {
    const from = join(dir, 'from');
    const to = join(dir, 'to');
    await mkdir(from);
    await largeFile(join(from, 'big'));
    await writeFile(join(from, 'small'), 'small');
    const folder = await makeFile(`${to}/`, { state: 'exists', source: `${from}/`, recurse: true });
    try {
      expect(await folder.res.checkApply(true, AbortSignal.timeout(60_000))).toBe(false);
      expect(await sameBytes(join(from, 'big'), join(to, 'big'))).toBe(true);
      expect(await folder.res.checkApply(true, AbortSignal.timeout(60_000))).toBe(true);
      await writeByte(join(to, 'big'), 60 << 20, 'x');
      expect(await folder.res.checkApply(true, AbortSignal.timeout(60_000))).toBe(false);
      expect(await sameBytes(join(from, 'big'), join(to, 'big'))).toBe(true);
    } finally {
      await folder.close();
    }
  });

  it('as a fragment over 1 GiB is refused with an error that names it, not read', async () => {
    const fragment = join(dir, 'huge-part');
    await writeFile(fragment, '');
    await truncate(fragment, (1 << 30) + 1);
    const file = await makeFile(join(dir, 'joined'), { state: 'exists', fragments: [fragment] });
    try {
      await expect(file.checkApply(true)).rejects.toThrow(`fragment ${fragment} is ${(1 << 30) + 1} bytes: too large to read into memory`);
    } finally {
      await file.close();
    }
  });
});
