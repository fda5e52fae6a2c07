import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../src/atomic-write.js';
import { leftoverTempFiles, makeFile, tempDir } from './helpers.js';

// A forced stop (the CLI's second SIGINT) aborts the signal of running
// checks: a write that has not renamed yet must not replace the target.

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

/** 32 MiB: several chunks of a write, and a read that takes a while. */
const BIG = Buffer.alloc(32 << 20, 'n');

describe('an abort during a write', () => {
  it('leaves the target of a large source copy as it was, and no temp file', async () => {
    const source = join(dir, 'big-source');
    const target = join(dir, 'target');
    await writeFile(source, BIG);
    await writeFile(target, 'old');
    const file = await makeFile(target, { state: 'exists', source });
    const controller = new AbortController();
    try {
      const checking = Promise.resolve(file.res.checkApply(true, controller.signal));
      controller.abort(new Error('aborted by a forced stop'));
      // Whichever step saw the abort (the read of the source, the write, the rename) says so.
      await expect(checking).rejects.toThrow(/abort/);
      expect(await readFile(target, 'utf8')).toBe('old');
      expect(await leftoverTempFiles(dir)).toEqual([]);
    } finally {
      await file.close();
    }
  });

  it('stops writeFileAtomic before its rename once aborted, and removes its temp file', async () => {
    const target = join(dir, 'target');
    await writeFile(target, 'old');
    const controller = new AbortController();
    const writing = writeFileAtomic(target, BIG, {}, controller.signal);
    setImmediate(() => controller.abort(new Error('stop')));
    await expect(writing).rejects.toThrow('stop');
    expect(await readFile(target, 'utf8')).toBe('old');
    expect(await leftoverTempFiles(dir)).toEqual([]);
  });
});
