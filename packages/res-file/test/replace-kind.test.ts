import { lstat, mkdir, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCase } from '@converge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileResource } from '../src/index.js';
import { makeFile, refusal, tempDir } from './helpers.js';

// A directory path written without its trailing / names a file. Replacing
// the directory found there must never delete its contents by accident.

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

/** A directory with one file in it, at `dir/isdir`. */
async function fullDir(): Promise<string> {
  const path = join(dir, 'isdir');
  await mkdir(path);
  await writeFile(join(path, 'precious'), 'data');
  return path;
}

describe('a directory where a file or symlink is wanted', () => {
  it('without force: says that a directory path ends in /, and what replacing it needs', async () => {
    const path = await fullDir();
    const error = await refusal(path, { state: 'exists', content: 'x' }, true);
    expect(error).toMatchObject({
      message: expect.stringMatching(/is a directory, but a file is wanted/),
      hint: 'if you meant the directory, end the path with /; to replace it by a file set force: true (and recurse: true if it is not empty)',
    });
    expect(await readFile(join(path, 'precious'), 'utf8')).toBe('data');
  });

  it('with force alone: refuses to replace a non-empty directory, in a check and in an apply', async () => {
    const path = await fullDir();
    for (const apply of [false, true]) {
      const error = await refusal(path, { state: 'exists', content: 'x', force: true }, apply);
      expect(error).toMatchObject({
        message: expect.stringMatching(/is a directory that is not empty.*force alone does not delete its contents/),
        hint: expect.stringMatching(/^if you meant the directory, end the path with \/; .*set recurse: true as well$/),
      });
    }
    expect(await readdir(path)).toEqual(['precious']);
  });

  it('with force alone: refuses to replace a non-empty directory by a symlink, and logs no removal (QA: "removing empty directory" was logged at every retry)', async () => {
    const path = await fullDir();
    const link = await makeFile(path, { symlink: true, source: '/etc/hosts', force: true });
    try {
      const error = await link.checkApply(true).then(() => undefined, (caught: unknown) => caught);
      expect(error).toMatchObject({ hint: expect.stringMatching(/recurse: true as well/) });
      expect(link.harness.logs().map((entry) => entry.message)).not.toContainEqual(expect.stringContaining('empty directory'));
      await rm(join(path, 'precious'));
      expect(await link.checkApply(true)).toBe(false);
      expect(link.harness.logs().map((entry) => entry.message)).toContainEqual(`removed empty directory ${path} to make a symlink (force)`);
    } finally {
      await link.close();
    }
    expect(await readlink(path)).toBe('/etc/hosts');
  });

  it('with force alone: replaces an empty directory by a file', async () => {
    const path = join(dir, 'empty');
    await mkdir(path);
    await runCase(fileResource, { name: path, params: { state: 'exists', content: 'now a file', force: true }, expect: 'diverged' });
    expect(await readFile(path, 'utf8')).toBe('now a file');
  });

  it('with force and recurse: replaces a non-empty directory by a file, or by a symlink', async () => {
    const path = await fullDir();
    await runCase(fileResource, { name: path, params: { state: 'exists', content: 'now a file', force: true, recurse: true }, expect: 'diverged' });
    expect((await stat(path)).isFile()).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('now a file');

    const other = join(dir, 'linkme');
    await mkdir(other);
    await writeFile(join(other, 'f'), 'x');
    await runCase(fileResource, {
      name: other,
      params: { symlink: true, source: '/etc/hosts', force: true, recurse: true },
      expect: 'diverged',
    });
    expect(await readlink(other)).toBe('/etc/hosts');
  });

  it('says which way round when a file is where a directory path points', async () => {
    const path = join(dir, 'plain');
    await writeFile(path, 'x');
    const error = await refusal(`${path}/`, { state: 'exists' }, true);
    expect(error).toMatchObject({ hint: expect.stringMatching(/^if you meant the file, remove the trailing \/ from the path/) });
  });
});

describe('a forced replacement whose source is missing', () => {
  it('removes nothing: the copy fails before what is at the path goes (a file copy and a directory copy)', async () => {
    const missing = join(dir, 'no-such-source');
    const path = await fullDir();
    const toFile = await refusal(path, { state: 'exists', source: missing, force: true, recurse: true }, true);
    expect(toFile).toMatchObject({ message: expect.stringContaining(`source ${missing} does not exist`) });
    expect(await readdir(path)).toEqual(['precious']);

    const file = join(dir, 'hello');
    await writeFile(file, 'precious\n');
    const toDir = await refusal(`${file}/`, { state: 'exists', source: `${missing}/`, force: true, recurse: true }, true);
    expect(toDir).toMatchObject({ message: expect.stringContaining(`source ${missing}/ does not exist`) });
    expect(await readFile(file, 'utf8')).toBe('precious\n');
  });
});

describe('state: absent where a path without / finds a directory', () => {
  it('refuses, even with recurse, in a check and in an apply, and says to end the path with /', async () => {
    const path = await fullDir();
    for (const apply of [false, true]) {
      const error = await refusal(path, { state: 'absent', recurse: true }, apply);
      expect(error).toMatchObject({
        message: `${path} is a directory, but the path (without a trailing /) names a file; refusing to remove it`,
        hint: `to remove the directory and everything in it, write the path with a trailing / (${path}/); or set force: true to remove whatever is there`,
      });
    }
    // Without recurse, force alone would not remove a directory with something in it: the hint says so.
    expect(await refusal(path, { state: 'absent' }, true)).toMatchObject({ hint: expect.stringContaining('or set force: true (with recurse: true when it is not empty)') });
    expect(await readdir(path)).toEqual(['precious']);
  });

  it('refuses an empty directory too: the path names a file', async () => {
    const path = join(dir, 'empty');
    await mkdir(path);
    expect(await refusal(path, { state: 'absent' }, true)).toMatchObject({ message: expect.stringMatching(/names a file; refusing to remove it/) });
    expect((await stat(path)).isDirectory()).toBe(true);
  });

  it('with force: removes an empty directory; one with entries only with recurse as well', async () => {
    const path = await fullDir();
    expect(await refusal(path, { state: 'absent', force: true }, true)).toMatchObject({ message: `directory ${path} is not empty` });
    await runCase(fileResource, { name: path, params: { state: 'absent', force: true, recurse: true }, expect: 'diverged' });
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it('removes the directory when the path ends in /', async () => {
    const path = await fullDir();
    await runCase(fileResource, { name: `${path}/`, params: { state: 'absent', recurse: true }, expect: 'diverged' });
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });
});
