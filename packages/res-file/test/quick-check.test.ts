import { chmod, chown, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { learnFsType } from '../src/local-fs.js';
import type { FileParams } from '../src/index.js';
import { makeFile, tempDir } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => {
  ({ dir, remove } = await tempDir());
  // As a running graph would have it: the file system is known to be local.
  await learnFsType(dir);
});
afterEach(() => remove());

/** One checkApply, noting whether it answered at once (a boolean) or took the full, async check (a promise). */
async function checkOnce(path: string, params: Partial<FileParams>, apply = true): Promise<{ atOnce: boolean; result: boolean }> {
  const file = await makeFile(path, params);
  try {
    const answer = file.res.checkApply(apply, new AbortController().signal);
    return { atOnce: typeof answer === 'boolean', result: await answer };
  } finally {
    await file.close();
  }
}

describe('the quick check: in sync is answered at once, anything else by the full check', () => {
  it('answers at once for a file whose content, mode and numeric owner all match, in apply and noop mode', async () => {
    const path = join(dir, 'same');
    await writeFile(path, 'hello\n', { mode: 0o640 });
    await chmod(path, 0o640);
    const params = { state: 'exists' as const, content: 'hello\n', mode: '0640', owner: 0, group: '0' };
    expect(await checkOnce(path, params)).toEqual({ atOnce: true, result: true });
    expect(await checkOnce(path, params, false)).toEqual({ atOnce: true, result: true });
    expect(await checkOnce(path, { mode: 'u=rw,g=r,o=' })).toEqual({ atOnce: true, result: true });
  });

  it('takes the full check (and fixes it) when content of the same size differs', async () => {
    const path = join(dir, 'same-size');
    await writeFile(path, 'hellO\n');
    expect(await checkOnce(path, { state: 'exists', content: 'hello\n' })).toEqual({ atOnce: false, result: false });
    expect(await readFile(path, 'utf8')).toBe('hello\n');
  });

  it('takes the full check when the mode or a numeric owner differs', async () => {
    const path = join(dir, 'attrs');
    await writeFile(path, 'x');
    await chmod(path, 0o600);
    expect(await checkOnce(path, { content: 'x', mode: '0644' })).toEqual({ atOnce: false, result: false });
    expect((await stat(path)).mode & 0o7777).toBe(0o644);
    await chown(path, 1234, 1234);
    expect(await checkOnce(path, { content: 'x', owner: 0 })).toEqual({ atOnce: false, result: false });
    expect((await stat(path)).uid).toBe(0);
  });

  it('leaves owner names to the full check (they need a lookup)', async () => {
    const path = join(dir, 'named');
    await writeFile(path, 'x');
    expect(await checkOnce(path, { content: 'x', owner: 'root' })).toEqual({ atOnce: false, result: true });
  });

  it('takes the full check when a crash left a temp file to sweep', async () => {
    const path = join(dir, 'swept');
    await writeFile(path, 'x');
    const leftover = join(dir, '.swept.converge-0123456789ab.tmp');
    await writeFile(leftover, 'half');
    expect(await checkOnce(path, { content: 'x' })).toEqual({ atOnce: false, result: true });
    expect(await readdir(dir)).toEqual(['swept']);
  });

  it('never answers at once through a symlink: not at the path, not above it', async () => {
    const real = join(dir, 'real');
    await mkdir(real);
    await writeFile(join(real, 'f'), 'x');
    await symlink(real, join(dir, 'link'));
    await expect(checkOnce(join(dir, 'link', 'f'), { content: 'x' })).rejects.toThrow(/a parent of .* is a symlink/);
    await symlink(join(real, 'f'), join(dir, 'f-link'));
    await expect(checkOnce(join(dir, 'f-link'), { content: 'x' })).rejects.toThrow(/is a symlink/);
  });

  it('handles absent, unmanaged and directory states like the full check', async () => {
    const path = join(dir, 'gone');
    expect(await checkOnce(path, { state: 'absent' })).toEqual({ atOnce: true, result: true });
    expect(await checkOnce(path, { mode: '0600' })).toEqual({ atOnce: true, result: true });
    await writeFile(path, 'x');
    expect(await checkOnce(path, { state: 'absent' })).toEqual({ atOnce: false, result: false });
    const sub = join(dir, 'sub');
    await mkdir(sub, { mode: 0o755 });
    await chmod(sub, 0o755);
    expect(await checkOnce(`${sub}/`, { state: 'exists', mode: '0755' })).toEqual({ atOnce: true, result: true });
    expect(await checkOnce(`${sub}/`, { state: 'exists', recurse: true, purge: true })).toEqual({ atOnce: false, result: true });
    expect(await readdir(dir)).toEqual(['sub']);
    // A file where a directory is wanted (and the reverse) is refused by the full check, not passed by the quick one.
    await writeFile(path, 'x');
    await expect(checkOnce(`${path}/`, { state: 'exists' })).rejects.toThrow(/is a (file|directory), but a (directory|file) is wanted/);
    await expect(checkOnce(sub, { state: 'exists', content: '' })).rejects.toThrow(/is a (file|directory), but a (directory|file) is wanted/);
  });
});
