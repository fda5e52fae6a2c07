import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeTree } from '../src/remove-tree.js';
import { tempDir } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

describe('removeTree (a purged folder, removed in slices)', () => {
  it('removes a tree, links as links (what they point to stays), and names that are not valid UTF-8', async () => {
    const outside = join(dir, 'outside');
    mkdirSync(join(outside, 'kept'), { recursive: true });
    writeFileSync(join(outside, 'kept', 'precious'), 'x');
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'a', 'b', 'c'), { recursive: true });
    for (let i = 0; i < 50; i++) writeFileSync(join(tree, 'a', 'b', `f${i}`), 'x');
    writeFileSync(Buffer.concat([Buffer.from(`${tree}/a/caf`), Buffer.from([0xe9])]), 'latin-1 name');
    symlinkSync(outside, join(tree, 'a', 'to-outside'));
    symlinkSync(join(outside, 'kept'), join(tree, 'link-dir'));
    await removeTree(tree);
    await expect(lstat(tree)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(readdirSync(join(outside, 'kept'))).toEqual(['precious']);
  });

  it('removes a symlink given in place of a folder, not what it points to', async () => {
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'precious'), 'x');
    symlinkSync(outside, join(dir, 'swapped'));
    await removeTree(join(dir, 'swapped'));
    expect(await readdir(dir)).toEqual(['outside']);
    expect(await readdir(outside)).toEqual(['precious']);
  });

  it('does nothing for a path that is gone', async () => {
    await removeTree(join(dir, 'never-was'));
    expect(await readdir(dir)).toEqual([]);
  });
});
