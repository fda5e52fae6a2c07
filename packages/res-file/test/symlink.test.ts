import { lstat, mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCase } from '@converge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileResource } from '../src/index.js';
import { makeFile, refusal, tempDir } from './helpers.js';
import type { FileParams } from '../src/params.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

describe('symlink param', () => {
  it('creates a link, repoints a wrong one, and removes it for state absent', async () => {
    const path = join(dir, 'link');
    await runCase(fileResource, { name: path, params: { state: 'exists', symlink: true, source: '/etc/hostname' }, expect: 'diverged' });
    expect(await readlink(path)).toBe('/etc/hostname');
    await runCase(fileResource, { name: path, params: { state: 'exists', symlink: true, source: 'relative/target' }, expect: 'diverged' });
    expect(await readlink(path)).toBe('relative/target');
    await runCase(fileResource, { name: path, params: { state: 'absent', symlink: true }, expect: 'diverged' });
    await expect(lstat(path)).rejects.toThrow(/ENOENT/);
  });

  it('replaces a regular file by a link only with force', async () => {
    const path = join(dir, 'was-file');
    await writeFile(path, 'x');
    const refused = await makeFile(path, { state: 'exists', symlink: true, source: '/tmp' });
    await expect(refused.checkApply(true)).rejects.toThrow(/is a file, but a symlink is wanted/);
    await refused.close();
    await runCase(fileResource, { name: path, params: { state: 'exists', symlink: true, source: '/tmp', force: true }, expect: 'diverged' });
    expect(await readlink(path)).toBe('/tmp');
  });
});

describe('symlink policy', () => {
  it('refuses a path that a declared symlink puts inside a directory another resource purges', async () => {
    await mkdir(join(dir, 'releases', 'v1'), { recursive: true });
    await symlink('releases/v1', join(dir, 'current'));
    const link = await makeFile(join(dir, 'current'), { state: 'exists', symlink: true, source: 'releases/v1' });
    const purging = await makeFile(`${join(dir, 'releases', 'v1')}/`, { state: 'exists', recurse: true, purge: true });
    const through = await makeFile(join(dir, 'current', 'conf'), { state: 'exists', content: 'via link\n' });
    try {
      await expect(through.checkApply(true)).rejects.toMatchObject({
        message: expect.stringContaining(`${dir}/current/conf is ${dir}/releases/v1/conf (through a symlink in its folders), inside ${dir}/releases/v1/`),
        hint: `manage it as ${dir}/releases/v1/conf, so that the purge leaves it`,
      });
    } finally {
      await Promise.all([link.close(), purging.close(), through.close()]);
    }
  });

  it('refuses a received path that another resource manages (the load could not see it), and writes nothing', async () => {
    const victim = join(dir, 'victim');
    const owner = await makeFile(victim, { state: 'exists', content: 'owned\n' });
    const redirected = await makeFile(join(dir, 'redirected'), { state: 'exists', content: 'other\n' }, ['path']);
    try {
      expect(await owner.checkApply(true)).toBe(false);
      // What an edge does: the received value in the params.
      (redirected.params as { path: string }).path = victim;
      await expect(redirected.checkApply(true)).rejects.toThrow(/, the path it received, is managed by another file resource too/);
      expect(await readFile(victim, 'utf8')).toBe('owned\n');
    } finally {
      await redirected.close();
      await owner.close();
    }
  });

  it('refuses a path that a declared symlink makes the same file as another resource manages', async () => {
    await mkdir(join(dir, 'real'));
    await symlink('real', join(dir, 'link'));
    const link = await makeFile(join(dir, 'link'), { state: 'exists', symlink: true, source: 'real' });
    const real = await makeFile(join(dir, 'real', 'f'), { state: 'exists', content: 'B\n' });
    const through = await makeFile(join(dir, 'link', 'f'), { state: 'exists', content: 'A\n' });
    try {
      await expect(through.checkApply(true)).rejects.toThrow(`${dir}/link/f is ${dir}/real/f (through a symlink in its folders), which another file resource manages`);
      await real.checkApply(true);
      expect(await readFile(join(dir, 'real', 'f'), 'utf8')).toBe('B\n');
    } finally {
      await Promise.all([link.close(), real.close(), through.close()]);
    }
  });

  it('refuses, with force as without, a path that an undeclared symlink makes the same file as another resource manages (QA: the two rewrote it in turn)', async () => {
    await mkdir(join(dir, 'real'));
    await symlink('real', join(dir, 'link'));
    const real = await makeFile(join(dir, 'real', 'f'), { state: 'exists', content: 'one\n' });
    const through = await makeFile(join(dir, 'link', 'f'), { state: 'exists', content: 'two\n', force: true });
    try {
      expect(await real.checkApply(true)).toBe(false);
      await expect(through.checkApply(true)).rejects.toThrow(`${dir}/link/f is ${dir}/real/f (through a symlink in its folders), which another file resource manages`);
      expect(await readFile(join(dir, 'real', 'f'), 'utf8')).toBe('one\n');
    } finally {
      await Promise.all([real.close(), through.close()]);
    }
  });

  it('refuses two paths that links of their own make one file, with force or declared links (QA: l1/f and l2/f rewrote it in turn)', async () => {
    await mkdir(join(dir, 'real'));
    await symlink('real', join(dir, 'l1'));
    await symlink('real', join(dir, 'l2'));
    const one = await makeFile(join(dir, 'l1', 'f'), { state: 'exists', content: 'one\n', force: true });
    const two = await makeFile(join(dir, 'l2', 'f'), { state: 'exists', content: 'two\n', force: true });
    try {
      await expect(one.checkApply(true)).rejects.toThrow(`${dir}/l1/f and ${dir}/l2/f are both ${dir}/real/f (through symlinks in their folders)`);
      await expect(two.checkApply(true)).rejects.toThrow(`${dir}/l2/f and ${dir}/l1/f are both ${dir}/real/f`);
      await expect(readFile(join(dir, 'real', 'f'), 'utf8')).rejects.toThrow(/ENOENT/);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
    // The same with the links declared (symlink: true), without force.
    const links = await Promise.all(['l1', 'l2'].map((name) => makeFile(join(dir, name), { state: 'exists', symlink: true, source: 'real' })));
    const declaredOne = await makeFile(join(dir, 'l1', 'f'), { state: 'exists', content: 'one\n' });
    const declaredTwo = await makeFile(join(dir, 'l2', 'f'), { state: 'exists', content: 'two\n' });
    try {
      await expect(declaredOne.checkApply(true)).rejects.toThrow(/are both .*real\/f/);
    } finally {
      await Promise.all([...links, declaredOne, declaredTwo].map((file) => file.close()));
    }
  });

  it('refuses a file reached through a link inside a folder another resource copies into, and a copy through a link over a file another resource manages (QA: rewritten in turn for ever)', async () => {
    await mkdir(join(dir, 'real'));
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src', 'f'), 'from the source\n');
    await symlink('real', join(dir, 'l1'));
    const copy = await makeFile(`${join(dir, 'real')}/`, { state: 'exists', source: `${join(dir, 'src')}/`, recurse: true });
    const through = await makeFile(join(dir, 'l1', 'f'), { state: 'exists', content: 'mine\n', force: true });
    try {
      await expect(through.checkApply(true)).rejects.toThrow(`${dir}/l1/f is ${dir}/real/f (through a symlink in its folders), inside ${dir}/real/, which another file resource copies a source folder into (recurse)`);
    } finally {
      await Promise.all([copy.close(), through.close()]);
    }
    // The other way round: the copy goes through the link, the file is managed under its real path.
    await mkdir(join(dir, 'real', 'dest'));
    const file = await makeFile(join(dir, 'real', 'dest', 'f'), { state: 'exists', content: 'mine\n' });
    const copyThrough = await makeFile(`${join(dir, 'l1', 'dest')}/`, { state: 'exists', source: `${join(dir, 'src')}/`, recurse: true, purge: true, force: true });
    try {
      await expect(copyThrough.checkApply(true)).rejects.toThrow(`another file resource manages ${dir}/real/dest/f inside it, which this one would purge`);
    } finally {
      await Promise.all([file.close(), copyThrough.close()]);
    }
  });

  it('refuses a copy through one link and a file through another link to the same folder (QA: purged and made again in turn)', async () => {
    await mkdir(join(dir, 'real', 'app'), { recursive: true });
    await mkdir(join(dir, 'src'));
    await symlink('real', join(dir, 'l1'));
    await symlink('real', join(dir, 'l2'));
    const links = await Promise.all(['l1', 'l2'].map((name) => makeFile(join(dir, name), { state: 'exists', symlink: true, source: 'real' })));
    const copy = await makeFile(`${join(dir, 'l1', 'app')}/`, { state: 'exists', source: `${join(dir, 'src')}/`, recurse: true, purge: true });
    const file = await makeFile(join(dir, 'l2', 'app', 'f'), { state: 'exists', content: 'f\n' });
    try {
      await expect(file.checkApply(true)).rejects.toThrow(`inside ${dir}/l1/app/, which another file resource purges`);
      await expect(copy.checkApply(true)).rejects.toThrow(`another file resource manages ${dir}/l2/app/f inside it`);
    } finally {
      await Promise.all([...links, copy, file].map((each) => each.close()));
    }
  });

  it('takes a copy through a declared link with a more specific file through the same link, and refuses a clash through two links before a folder is made (QA)', async () => {
    await mkdir(join(dir, 'real'));
    await mkdir(join(dir, 'src', 'app'), { recursive: true });
    await writeFile(join(dir, 'src', 'app', 'a'), 'hello\n');
    await symlink('real', join(dir, 'lnk'));
    const link = await makeFile(join(dir, 'lnk'), { state: 'exists', symlink: true, source: 'real' });
    const copy = await makeFile(`${join(dir, 'lnk', 'app')}/`, { state: 'exists', source: `${join(dir, 'src', 'app')}/`, recurse: true, purge: true });
    const file = await makeFile(join(dir, 'lnk', 'app', 'a'), { state: 'exists', content: 'mine\n' });
    try {
      expect(await copy.checkApply(true)).toBe(false);
      expect(await file.checkApply(true)).toBe(false);
      expect(await copy.checkApply(true)).toBe(true);
      expect(await readFile(join(dir, 'real', 'app', 'a'), 'utf8')).toBe('mine\n');
    } finally {
      await Promise.all([link, copy, file].map((each) => each.close()));
    }
    // Two links to a folder whose app/ is not made yet: the copy is refused before it writes.
    await mkdir(join(dir, 'fresh'));
    await symlink('fresh', join(dir, 'l1'));
    await symlink('fresh', join(dir, 'l2'));
    const freshCopy = await makeFile(`${join(dir, 'l1', 'app')}/`, { state: 'exists', source: `${join(dir, 'src', 'app')}/`, recurse: true, force: true });
    const freshFile = await makeFile(join(dir, 'l2', 'app', 'a'), { state: 'exists', content: 'mine\n', force: true });
    try {
      await expect(freshCopy.checkApply(true)).rejects.toThrow(`another file resource manages ${dir}/l2/app/a inside it`);
      await expect(readFile(join(dir, 'fresh', 'app', 'a'), 'utf8')).rejects.toThrow(/ENOENT/);
    } finally {
      await Promise.all([freshCopy.close(), freshFile.close()]);
    }
  });

  it('refuses to write through a symlink at the target, and replaces the link (not its target) with force', async () => {
    const victim = join(dir, 'victim');
    await writeFile(victim, 'precious');
    const path = join(dir, 'conf');
    await symlink(victim, path);
    const refused = await makeFile(path, { state: 'exists', content: 'evil' });
    await expect(refused.checkApply(false)).rejects.toThrow(/is a symlink/);
    await expect(refused.checkApply(true)).rejects.toMatchObject({ code: 'ERR_RESOURCE_CHECK_APPLY', hint: expect.stringMatching(/force/) });
    await refused.close();
    expect(await readFile(victim, 'utf8')).toBe('precious');
    await runCase(fileResource, { name: path, params: { state: 'exists', content: 'mine', force: true }, expect: 'diverged' });
    expect((await lstat(path)).isFile()).toBe(true);
    expect(await readFile(victim, 'utf8')).toBe('precious');
  });

  it('refuses a path whose parent is an undeclared symlink, even to remove it', async () => {
    const real = join(dir, 'real');
    await mkdir(real);
    await writeFile(join(real, 'f'), 'keep');
    await symlink(real, join(dir, 'alias'));
    for (const params of [{ state: 'exists', content: 'x' }, { state: 'absent' }] as const) {
      const file = await makeFile(join(dir, 'alias', 'f'), params);
      await expect(file.checkApply(true)).rejects.toThrow(/alias, a parent of .* is a symlink that no file resource declares/);
      await file.close();
    }
    expect(await readFile(join(real, 'f'), 'utf8')).toBe('keep');
  });

  it("follows the system's own links (/var/run → /run, /lib → usr/lib) without a declaration, only there (QA: /var/run/x.conf failed every run)", async () => {
    // Debian 12, as this project's machines run it: both are links that belong to root.
    expect((await lstat('/var/run')).isSymbolicLink()).toBe(true);
    const name = `/var/run/converge-test-${process.pid}.conf`;
    try {
      await runCase(fileResource, { name, params: { state: 'exists', content: 'run' }, expect: 'diverged' });
      expect(await readFile(join('/run', name.slice('/var/run/'.length)), 'utf8')).toBe('run');
    } finally {
      await rm(name, { force: true });
    }
    // The same link elsewhere, in a folder only root may write to, is refused as before.
    await symlink('/run', join(dir, 'run'));
    const refused = await refusal(join(dir, 'run', `converge-test-${process.pid}.conf`), { state: 'exists', content: 'x' }, true);
    expect(String(refused)).toMatch(/run, a parent of .* is a symlink that no file resource declares/);
  });

  it('gives one identity to a file spelled through the system links, so that two resources for it are refused at load (QA: /var/lock/x and /var/run/lock/x flapped)', () => {
    const identity = (path: string) => fileResource.identity?.({ path, state: 'exists' } as FileParams, path);
    expect(identity('/var/lock/x')).toBe('/run/lock/x');
    expect(identity('/var/run/lock/x')).toBe('/run/lock/x');
    expect(identity('/lib/x.conf')).toBe(identity('/usr/lib/x.conf'));
    expect(identity('/tmp/x')).toBe('/tmp/x');
    expect(identity('/library/x')).toBe('/library/x');
  });

  it('follows a parent symlink that a live file resource declares, or any with force', async () => {
    const real = join(dir, 'real');
    await mkdir(real);
    const alias = join(dir, 'alias');
    await symlink(real, alias);
    await runCase(fileResource, { name: join(alias, 'forced'), params: { state: 'exists', content: 'f', force: true }, expect: 'diverged' });
    expect(await readFile(join(real, 'forced'), 'utf8')).toBe('f');
    const declared = await makeFile(alias, { state: 'exists', symlink: true, source: real });
    try {
      await runCase(fileResource, { name: join(alias, 'declared'), params: { state: 'exists', content: 'd' }, expect: 'diverged' });
      expect(await readFile(join(real, 'declared'), 'utf8')).toBe('d');
    } finally {
      await declared.close();
    }
  });

  it('refuses a declared parent symlink that points to a symlink no resource declares (a chain of two)', async () => {
    const real = join(dir, 'real');
    await mkdir(real);
    const undeclared = join(dir, 'A');
    await symlink('real', undeclared);
    const declaredLink = join(dir, 'ln');
    await symlink('A', declaredLink);
    const declared = await makeFile(declaredLink, { state: 'exists', symlink: true, source: 'A' });
    try {
      const error = await refusal(join(declaredLink, 'conf'), { state: 'exists', content: 'x' }, true);
      expect(error).toMatchObject({ message: expect.stringContaining(`${undeclared}, a parent of ${join(declaredLink, 'conf')}, is a symlink that no file resource declares`) });
      expect(await readdir(real)).toEqual([]);
    } finally {
      await declared.close();
    }
  });

  it('refuses a declared parent symlink that now points elsewhere than its resource says, and writes nothing there', async () => {
    const real = join(dir, 'real');
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(real);
    await mkdir(elsewhere);
    const current = join(dir, 'current');
    // Swapped behind converge's back: the resource that declares it has not put it back yet.
    await symlink(elsewhere, current);
    const declared = await makeFile(current, { state: 'exists', symlink: true, source: real });
    try {
      const error = await refusal(join(current, 'f'), { state: 'exists', content: 'x' }, true);
      expect(error).toMatchObject({
        message: `${current}, a parent of ${join(current, 'f')}, is a symlink that points to ${elsewhere}, not to ${real} as its file resource declares; refusing to follow it`,
      });
      expect(await readdir(elsewhere)).toEqual([]);
      // Once the link is back where declared, the file is written through it.
      await declared.checkApply(true);
      await runCase(fileResource, { name: join(current, 'f'), params: { state: 'exists', content: 'x' }, expect: 'diverged' });
      expect(await readFile(join(real, 'f'), 'utf8')).toBe('x');
    } finally {
      await declared.close();
    }
  });
});
