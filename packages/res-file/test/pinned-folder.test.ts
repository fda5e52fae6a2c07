import { realpath } from 'node:fs/promises';
import { mkdir, open, readdir, readFile, readlink, rename, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { symlinkAtomic, writeFileAtomic } from '../src/atomic-write.js';
import { FolderMovedError, inPinnedFolder, inPinnedFolderSync, openedWithin, wasRemoved } from '../src/pinned-folder.js';
import { lstatEntry } from '../src/fs-state.js';
import { ensureRemoved } from '../src/remove-path.js';
import { makeFile, tempDir } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

/** `sub` (the folder converge writes into) and `evil` (where a symlink put in its place would lead). */
async function folders(): Promise<{ sub: string; evil: string }> {
  const sub = join(dir, 'sub');
  const evil = join(dir, 'evil');
  await mkdir(sub);
  await mkdir(evil);
  return { sub, evil };
}

/** What an attacker does between converge's look and its write: the folder moved away, a symlink in its place. */
async function swapForSymlink(sub: string, evil: string): Promise<void> {
  await rename(sub, `${sub}.moved`);
  await symlink(evil, sub);
}

describe('a folder removed while it is open', () => {
  it('is told as removed, not as a symlink swapped in, and a folder whose name ends in " (deleted)" is neither (QA: a deleted folder read as an attack)', async () => {
    const gone = join(dir, 'gone');
    const named = join(dir, 'kept (deleted)');
    await mkdir(gone);
    await mkdir(named);
    const [goneHandle, namedHandle] = await Promise.all([open(gone, 'r'), open(named, 'r')]);
    try {
      await rmdir(gone);
      const goneNow = await readlink(`/proc/self/fd/${goneHandle.fd}`);
      expect(goneNow).toBe(`${gone} (deleted)`);
      expect(await wasRemoved(goneHandle, goneNow)).toBe(true);
      expect(await wasRemoved(namedHandle, await readlink(`/proc/self/fd/${namedHandle.fd}`))).toBe(false);
    } finally {
      await Promise.all([goneHandle.close(), namedHandle.close()]);
    }
  });
});

describe('a directory with force: links above it followed, none swapped in at or below it', () => {
  it('refuses a change in the directory, or a folder in it, once a symlink took its place after the check opened it', async () => {
    const { sub, evil } = await folders();
    await mkdir(join(sub, 'inner'));
    await mkdir(join(evil, 'inner'));
    const rule = await openedWithin(sub);
    expect(rule).toEqual({ root: sub, real: await realpath(sub) });
    // Untouched, changes go through.
    await inPinnedFolder(join(sub, 'a'), rule, (pinned) => writeFile(pinned, 'ok'));
    await swapForSymlink(sub, evil);
    let wrote = false;
    await expect(inPinnedFolder(join(sub, 'a'), rule, async () => (wrote = true))).rejects.toBeInstanceOf(FolderMovedError);
    await expect(inPinnedFolder(join(sub, 'inner', 'b'), rule, async () => (wrote = true))).rejects.toBeInstanceOf(FolderMovedError);
    expect(() => inPinnedFolderSync(join(sub, 'inner', 'b'), rule, () => (wrote = true))).toThrow(FolderMovedError);
    expect(wrote).toBe(false);
    expect(await readdir(evil)).toEqual(['inner']);
  });

  it('follows a symlink above the directory, and refuses one at the directory itself when it opens it', async () => {
    const { sub, evil } = await folders();
    await mkdir(join(sub, 'd'));
    await symlink(sub, join(dir, 'via'));
    const rule = await openedWithin(join(dir, 'via', 'd'));
    await inPinnedFolder(join(dir, 'via', 'd', 'x'), rule, (pinned) => writeFile(pinned, 'through the link above'));
    expect(await readFile(join(sub, 'd', 'x'), 'utf8')).toBe('through the link above');
    await symlink(evil, join(dir, 'link'));
    await expect(openedWithin(join(dir, 'link'))).rejects.toBeInstanceOf(FolderMovedError);
  });
});

describe('pinned folders: changes land in the folder as it was opened', () => {
  it('a folder swapped for a symlink after it was opened is not written through: the write lands in the folder itself', async () => {
    const { sub, evil } = await folders();
    await inPinnedFolder(join(sub, 'a.conf'), 'declared', async (pinned) => {
      await swapForSymlink(sub, evil);
      await writeFile(pinned, 'secret\n', { mode: 0o600 });
    });
    expect(await readdir(evil)).toEqual([]);
    expect(await readFile(join(`${sub}.moved`, 'a.conf'), 'utf8')).toBe('secret\n');
  });

  it('a folder reached through a symlink no resource declares is refused; with the rule "any" (force) it is followed', async () => {
    const { sub, evil } = await folders();
    await swapForSymlink(sub, evil);
    await expect(writeFileAtomic(join(sub, 'a.conf'), Buffer.from('x'))).rejects.toBeInstanceOf(FolderMovedError);
    await expect(symlinkAtomic(join(sub, 'link'), '/etc/hostname')).rejects.toThrow(/leads to .*evil now .*refusing to write through it/);
    expect(await readdir(evil)).toEqual([]);
    await writeFileAtomic(join(sub, 'a.conf'), Buffer.from('x'), {}, undefined, 'any');
    expect(await readdir(evil)).toEqual(['a.conf']);
  });

  it('a folder reached through a symlink that a live file resource declares is written to', async () => {
    const real = join(dir, 'real');
    await mkdir(real);
    const link = join(dir, 'current');
    const declared = await makeFile(link, { state: 'exists', symlink: true, source: real });
    try {
      expect(await declared.checkApply(true)).toBe(false);
      await writeFileAtomic(join(link, 'a.conf'), Buffer.from('through the declared link\n'));
      expect(await readFile(join(real, 'a.conf'), 'utf8')).toBe('through the declared link\n');
    } finally {
      await declared.close();
    }
  });

  it('a folder reached through nested declared links (a link declared under another declared link) is written to', async () => {
    const r1 = join(dir, 'R1');
    const r2 = join(dir, 'R2');
    await mkdir(r1);
    await mkdir(r2);
    const l1 = join(dir, 'L1');
    const l2 = join(l1, 'L2');
    const outer = await makeFile(l1, { state: 'exists', symlink: true, source: r1 });
    const inner = await makeFile(l2, { state: 'exists', symlink: true, source: '../R2' });
    const file = await makeFile(join(l2, 'f.txt'), { state: 'exists', content: 'nested\n', mode: '0640' });
    try {
      expect(await outer.checkApply(true)).toBe(false);
      expect(await inner.checkApply(true)).toBe(false);
      expect(await file.checkApply(true)).toBe(false);
      expect(await readFile(join(r2, 'f.txt'), 'utf8')).toBe('nested\n');
      expect(await file.checkApply(true)).toBe(true);
      // The inner link re-pointed behind converge's back: refused, nothing written there.
      const evil = join(dir, 'evil');
      await mkdir(evil);
      await rm(join(r1, 'L2'));
      await symlink(evil, join(r1, 'L2'));
      await expect(writeFileAtomic(join(l2, 'g.txt'), Buffer.from('x'))).rejects.toBeInstanceOf(FolderMovedError);
      expect(await readdir(evil)).toEqual([]);
    } finally {
      await file.close();
      await inner.close();
      await outer.close();
    }
  });

  it('a removal (state: absent, purge) whose folder was swapped for a symlink after the look removes nothing there', async () => {
    const { sub, evil } = await folders();
    const path = join(sub, 'old.conf');
    await writeFile(path, 'stale\n');
    await writeFile(join(evil, 'old.conf'), 'precious\n');
    // Looked at before the swap, as a check does before it removes.
    const entry = await lstatEntry(path);
    await swapForSymlink(sub, evil);
    const options = { namesDir: false, symlink: false, force: false, recurse: false, apply: true, site: { resource: `file[${path}]`, phase: 'checkApply' as const }, log: () => undefined };
    await expect(ensureRemoved(path, entry, options)).rejects.toBeInstanceOf(FolderMovedError);
    expect(await readFile(join(evil, 'old.conf'), 'utf8')).toBe('precious\n');
  });
});
