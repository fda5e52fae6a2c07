import { chmod, mkdir, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { readdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { basename, join } from 'node:path';
import { runCase } from '@converge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileResource } from '../src/index.js';
import { tempNameFor } from '../src/temp-names.js';
import { makeFile, tempDir } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

async function tree(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(root, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = `${prefix}${entry.name}`;
    if (entry.isDirectory()) out.push(`${rel}/`, ...(await tree(join(root, entry.name), `${rel}/`)));
    else if (entry.isSymbolicLink()) out.push(`${rel} -> ${await readlink(join(root, entry.name))}`);
    else out.push(`${rel}: ${await readFile(join(root, entry.name), 'utf8')}`);
  }
  return out;
}

describe('directories', () => {
  it('purges what a resource inside left behind when that resource leaves the graph', async () => {
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src', 'kept'), 'k');
    const purging = await makeFile(`${dir}/dst/`, { state: 'exists', source: `${dir}/src/`, recurse: true, purge: true });
    const extra = await makeFile(`${dir}/dst/extra`, { state: 'exists', content: 'e' });
    await purging.checkApply(true);
    await extra.checkApply(true);
    expect(await tree(join(dir, 'dst'))).toEqual(['extra: e', 'kept: k']);
    const events = purging.harness.events();
    // The resource leaves (a graph swap cleans it up): the directory is told, and its next check purges.
    await extra.close();
    expect(purging.harness.events()).toBe(events + 1);
    await purging.checkApply(true);
    expect(await tree(join(dir, 'dst'))).toEqual(['kept: k']);
    await purging.close();
  });

  it('tells a directory whose purge an edge fills when a resource inside it leaves', async () => {
    const purging = await makeFile(`${dir}/dst/`, { state: 'exists', recurse: true, purge: false }, ['purge']);
    const extra = await makeFile(`${dir}/dst/extra`, { state: 'exists', content: 'e' });
    await purging.checkApply(true);
    await extra.checkApply(true);
    // The edge sends purge: true after init (the engine fills the shared params object).
    purging.params.purge = true;
    const events = purging.harness.events();
    await extra.close();
    expect(purging.harness.events()).toBe(events + 1);
    await purging.checkApply(true);
    expect(await tree(join(dir, 'dst'))).toEqual([]);
    await purging.close();
  });

  it("does not purge the temp file of a managed sibling's write under way, and purges one left for an unmanaged name", async () => {
    const purging = await makeFile(`${dir}/d/`, { state: 'exists', recurse: true, purge: true });
    const sibling = await makeFile(`${dir}/d/big`, { state: 'exists', content: 'b' });
    await purging.checkApply(true);
    const inFlight = join(dir, 'd', '.big.converge-0123456789ab.tmp');
    const stray = join(dir, 'd', '.gone.converge-0123456789ab.tmp');
    await writeFile(inFlight, 'half written');
    await writeFile(stray, 'left by a resource no longer in the graph');
    await purging.checkApply(true);
    expect(await readdir(join(dir, 'd'))).toEqual(['.big.converge-0123456789ab.tmp']);
    await sibling.checkApply(true);
    // The sibling's write went through, and its own sweep removed its leftover.
    expect(await tree(join(dir, 'd'))).toEqual(['big: b']);
    expect(await purging.checkApply(true)).toBe(true);
    await sibling.close();
    await purging.close();
  });

  it("does not purge the temp file of a managed sibling's write under way when the sibling's name is too long to be in it (a hash stands there)", async () => {
    const long = 'l'.repeat(250);
    const purging = await makeFile(`${dir}/d/`, { state: 'exists', recurse: true, purge: true });
    const sibling = await makeFile(`${dir}/d/${long}`, { state: 'exists', content: 'b' });
    await purging.checkApply(true);
    const inFlight = basename(tempNameFor(join(dir, 'd', long)));
    const stray = basename(tempNameFor(join(dir, 'd', 'g'.repeat(250))));
    await writeFile(join(dir, 'd', inFlight), 'half written');
    await writeFile(join(dir, 'd', stray), 'left by a resource no longer in the graph');
    await purging.checkApply(true);
    expect(await readdir(join(dir, 'd'))).toEqual([inFlight]);
    await sibling.close();
    await purging.close();
  });

  it('a file waits for its folder while the resource that manages the folder puts it back, instead of failing', async () => {
    const folder = await makeFile(`${dir}/a/b/`, { state: 'exists', recurse: true });
    const file = await makeFile(`${dir}/a/b/f`, { state: 'exists', content: 'f' });
    await folder.checkApply(true);
    await file.checkApply(true);
    // A parent nobody manages goes, with the managed folder and the file in it.
    await rm(join(dir, 'a'), { recursive: true });
    const checking = file.checkApply(true);
    await sleep(100);
    await folder.checkApply(true);
    expect(await checking).toBe(false);
    expect(await readFile(join(dir, 'a', 'b', 'f'), 'utf8')).toBe('f');
    await file.close();
    await folder.close();
  });

  it('creates a directory (path ending in /) and, with recurse, its missing parents', async () => {
    await runCase(fileResource, { name: `${dir}/d/`, params: { state: 'exists' }, expect: 'diverged' });
    expect((await stat(join(dir, 'd'))).isDirectory()).toBe(true);
    const deep = await makeFile(`${dir}/a/b/c/`, { state: 'exists' });
    await expect(deep.checkApply(true)).rejects.toMatchObject({ hint: expect.stringMatching(/recurse/) });
    await deep.close();
    await runCase(fileResource, { name: `${dir}/a/b/c/`, params: { state: 'exists', recurse: true }, expect: 'diverged' });
    expect((await stat(join(dir, 'a/b/c'))).isDirectory()).toBe(true);
  });

  it('with recurse, gives missing parents the default mode and the wanted mode to the directory only', async () => {
    await runCase(fileResource, { name: `${dir}/p/q/r/`, params: { state: 'exists', recurse: true, mode: '0700' }, expect: 'diverged' });
    const defaultMode = 0o777 & ~process.umask();
    expect((await stat(join(dir, 'p'))).mode & 0o7777).toBe(defaultMode);
    expect((await stat(join(dir, 'p/q'))).mode & 0o7777).toBe(defaultMode);
    expect((await stat(join(dir, 'p/q/r'))).mode & 0o7777).toBe(0o700);
  });

  it('in a dry run, refuses a file whose folder is missing as the real run does, unless a resource makes the folder', async () => {
    const path = join(dir, 'no-folder', 'f');
    const alone = await makeFile(path, { state: 'exists', content: 'x' });
    await expect(alone.checkApply(false)).rejects.toThrow(`its folder ${join(dir, 'no-folder')} does not exist`);
    const folder = await makeFile(`${join(dir, 'no-folder')}/`, { state: 'exists' });
    expect(await alone.checkApply(false)).toBe(false);
    await folder.close();
    await alone.close();
  });

  it('removes an empty directory, refuses a full one without recurse, removes it with recurse', async () => {
    const path = join(dir, 'full');
    await mkdir(path);
    await writeFile(join(path, 'f'), 'x');
    const refused = await makeFile(`${path}/`, { state: 'absent' });
    // A dry run foretells it.
    await expect(refused.checkApply(false)).rejects.toThrow(/not empty/);
    await expect(refused.checkApply(true)).rejects.toThrow(/not empty/);
    await refused.close();
    await runCase(fileResource, { name: `${path}/`, params: { state: 'absent', recurse: true }, expect: 'diverged' });
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it('state: absent on a path with a trailing / refuses a file there (as exists does), in a dry run too; force removes it', async () => {
    const path = join(dir, 'was-meant-as-dir');
    await writeFile(path, 'important data\n');
    const refused = await makeFile(`${path}/`, { state: 'absent' });
    await expect(refused.checkApply(false)).rejects.toThrow(/is a file, but the path \(with a trailing \/\) names a directory; refusing to remove it/);
    await expect(refused.checkApply(true)).rejects.toThrow(/refusing to remove it/);
    await refused.close();
    expect(await readFile(path, 'utf8')).toBe('important data\n');
    await runCase(fileResource, { name: `${path}/`, params: { state: 'absent', force: true }, expect: 'diverged' });
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it('copies a source directory recursively, links as links, and repairs drift inside it', async () => {
    const src = join(dir, 'src');
    await mkdir(join(src, 'sub'), { recursive: true });
    await writeFile(join(src, 'top'), 'T');
    await writeFile(join(src, 'sub', 'inner'), 'I');
    await symlink('top', join(src, 'link'));
    const params = { state: 'exists', source: `${src}/`, recurse: true };
    await runCase(fileResource, { name: `${dir}/dst/`, params, expect: 'diverged' });
    const expected = ['link -> top', 'sub/', 'sub/inner: I', 'top: T'];
    expect(await tree(join(dir, 'dst'))).toEqual(expected);
    await writeFile(join(dir, 'dst', 'sub', 'inner'), 'drifted');
    await writeFile(join(dir, 'dst', 'extra'), 'kept without purge');
    await runCase(fileResource, { name: `${dir}/dst/`, params, expect: 'diverged' });
    expect(await tree(join(dir, 'dst'))).toEqual(['extra: kept without purge', ...expected]);
  });

  it('repairs a copied file whose drift kept its size, and a big one (read without the synchronous path)', async () => {
    const src = join(dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'same-size'), 'AAAA');
    const big = Buffer.alloc(3 << 20, 7);
    await writeFile(join(src, 'big'), big);
    const params = { state: 'exists', source: `${src}/`, recurse: true };
    await runCase(fileResource, { name: `${dir}/dst/`, params, expect: 'diverged' });
    await runCase(fileResource, { name: `${dir}/dst/`, params, expect: 'converged' });
    await writeFile(join(dir, 'dst', 'same-size'), 'BBBB');
    await runCase(fileResource, { name: `${dir}/dst/`, params, expect: 'diverged' });
    expect(await readFile(join(dir, 'dst', 'same-size'), 'utf8')).toBe('AAAA');
    const drifted = Buffer.from(big);
    drifted[drifted.length - 1] = 8;
    await writeFile(join(dir, 'dst', 'big'), drifted);
    await runCase(fileResource, { name: `${dir}/dst/`, params, expect: 'diverged' });
    expect((await readFile(join(dir, 'dst', 'big'))).equals(big)).toBe(true);
  });

  it("gives every copied entry its source's permission bits and keeps them, so a 0600 source file is never readable by others", async () => {
    const src = join(dir, 'src');
    await mkdir(join(src, 'keys'), { recursive: true, mode: 0o750 });
    await writeFile(join(src, 'public'), 'p', { mode: 0o644 });
    await writeFile(join(src, 'keys', 'secret'), 'old', { mode: 0o644 });
    const params = { state: 'exists', source: `${src}/`, recurse: true };
    await runCase(fileResource, { name: `${dir}/dst/`, params, expect: 'diverged' });
    const modeOf = async (path: string): Promise<number> => (await stat(join(dir, 'dst', path))).mode & 0o7777;
    expect(await modeOf('keys/secret')).toBe(0o644);
    // The source becomes a secret: the copy follows, content and mode.
    await chmod(join(src, 'keys', 'secret'), 0o600);
    await writeFile(join(src, 'keys', 'secret'), 'hunter2');
    await runCase(fileResource, { name: `${dir}/dst/`, params, expect: 'diverged' });
    expect([await modeOf('keys/secret'), await readFile(join(dir, 'dst', 'keys', 'secret'), 'utf8')]).toEqual([0o600, 'hunter2']);
    // Mode drift inside the copy, of a file and of a folder, is put back.
    await chmod(join(dir, 'dst', 'keys', 'secret'), 0o666);
    await chmod(join(dir, 'dst', 'keys'), 0o777);
    await runCase(fileResource, { name: `${dir}/dst/`, params, expect: 'diverged' });
    expect([await modeOf('keys/secret'), await modeOf('keys'), await modeOf('public')]).toEqual([0o600, 0o750, 0o644]);
  });

  it('leaves a FIFO of the source out of the copy, with a warning, and copies the rest', async () => {
    const src = join(dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'a'), 'A');
    execFileSync('mkfifo', [join(src, 'pipe')]);
    await writeFile(join(src, 'z'), 'Z');
    const live = await makeFile(`${dir}/dst/`, { state: 'exists', source: `${src}/`, recurse: true });
    expect(await live.checkApply(true)).toBe(false);
    expect(await live.checkApply(true)).toBe(true);
    expect(await tree(join(dir, 'dst'))).toEqual(['a: A', 'z: Z']);
    const warnings = live.harness.logs().filter((line) => line.level === 'warn').map((line) => line.message);
    expect(warnings).toEqual([`not copied: ${src}/pipe is a special file (a FIFO, socket or device); only files, directories and symlinks are copied`]);
    await live.close();
  });

  it('leaves entries whose names are not valid UTF-8 alone, with a warning, and copies and purges the rest', async () => {
    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    await mkdir(src);
    await mkdir(dst);
    await writeFile(join(src, 'a'), 'A');
    // Latin-1 bytes, as an old archive may hold: no string names them.
    writeFileSync(Buffer.concat([Buffer.from(`${src}/caf`), Buffer.from([0xe9])]), 'X');
    await writeFile(join(src, 'z'), 'Z');
    writeFileSync(Buffer.concat([Buffer.from(`${dst}/old`), Buffer.from([0xff])]), 'stray');
    await writeFile(join(dst, 'stray'), 'S');
    const live = await makeFile(`${dst}/`, { state: 'exists', source: `${src}/`, recurse: true, purge: true });
    expect(await live.checkApply(true)).toBe(false);
    expect(await live.checkApply(true)).toBe(true);
    const left = readdirSync(dst, { encoding: 'buffer' }).map((name) => name.toString('latin1')).sort();
    expect(left).toEqual(['a', 'old\u00ff', 'z']);
    const warnings = live.harness.logs().filter((line) => line.level === 'warn').map((line) => line.message);
    expect(warnings).toEqual([
      expect.stringMatching(new RegExp(`^not copied: ${src}/caf\uFFFD has a name that is not valid UTF-8, which converge cannot name .*; rename it$`)),
      expect.stringMatching(new RegExp(`^not purged: ${dst}/old\uFFFD has a name that is not valid UTF-8`)),
    ]);
    await live.close();
  });

  it('keeps the rest of a copy up to date when one entry is of the wrong kind, and refuses that one (a special file even with force)', async () => {
    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    await mkdir(src);
    await writeFile(join(src, 'a'), 'A');
    await writeFile(join(src, 'p'), 'P');
    await writeFile(join(src, 'z'), 'Z');
    await mkdir(join(dst, 'a'), { recursive: true });
    execFileSync('mkfifo', [join(dst, 'p')]);
    await writeFile(join(dst, 'z'), 'drifted');
    await writeFile(join(dst, 'zextra'), 'stray');
    const plain = await makeFile(`${dst}/`, { state: 'exists', source: `${src}/`, recurse: true, purge: true });
    await expect(plain.checkApply(true)).rejects.toMatchObject({ message: expect.stringContaining(`${dst}/a is a directory, but a file is wanted`), hint: 'set force: true to replace it' });
    // Sorted after the entry in the way, and kept up to date all the same.
    expect(await readFile(join(dst, 'z'), 'utf8')).toBe('Z');
    expect(await readdir(dst)).toEqual(['a', 'p', 'z']);
    await plain.close();
    const forced = await makeFile(`${dst}/`, { state: 'exists', source: `${src}/`, recurse: true, purge: true, force: true });
    await expect(forced.checkApply(true)).rejects.toMatchObject({
      message: expect.stringContaining(`${dst}/p is a special file (device, FIFO or socket), but a file is wanted; it is never replaced`),
      hint: 'remove it by hand',
    });
    expect(await readFile(join(dst, 'a'), 'utf8')).toBe('A');
    expect((await stat(join(dst, 'p'))).isFIFO()).toBe(true);
    await forced.close();
  });

  it('purges what the source lacks, in subdirectories too', async () => {
    const src = join(dir, 'src');
    await mkdir(join(src, 'sub'), { recursive: true });
    await writeFile(join(src, 'sub', 'keep'), 'K');
    const dst = join(dir, 'dst');
    await mkdir(join(dst, 'sub', 'stale-dir'), { recursive: true });
    await writeFile(join(dst, 'stale'), 'S');
    await writeFile(join(dst, 'sub', 'stale'), 'S');
    await runCase(fileResource, {
      name: `${dst}/`,
      params: { state: 'exists', source: `${src}/`, recurse: true, purge: true },
      expect: 'diverged',
    });
    expect(await tree(dst)).toEqual(['sub/', 'sub/keep: K']);
  });

  it('purges inside a folder the source lacks that holds what another resource manages, keeping only the way to it', async () => {
    const src = join(dir, 'src');
    await mkdir(join(src, 'a'), { recursive: true });
    await writeFile(join(src, 'a', 's'), 'S');
    const dst = join(dir, 'dst');
    await mkdir(join(dst, 'a', 'b', 'c'), { recursive: true });
    await writeFile(join(dst, 'a', 'b', 'junk'), 'J');
    await writeFile(join(dst, 'a', 'b', 'c', 'junk2'), 'J');
    const managed = await makeFile(`${dst}/a/b/c/managed`, { state: 'exists', content: 'm' });
    const purging = await makeFile(`${dst}/`, { state: 'exists', source: `${src}/`, recurse: true, purge: true });
    await managed.checkApply(true);
    expect(await purging.checkApply(true)).toBe(false);
    expect(await purging.checkApply(true)).toBe(true);
    expect(await tree(dst)).toEqual(['a/', 'a/b/', 'a/b/c/', 'a/b/c/managed: m', 'a/s: S']);
    await purging.close();
    await managed.close();
  });

  it('purge without source keeps entries managed by other live file resources', async () => {
    const managedDir = join(dir, 'managed');
    await mkdir(join(managedDir, 'nested'), { recursive: true });
    await writeFile(join(managedDir, 'mine'), 'M');
    await writeFile(join(managedDir, 'nested', 'deep'), 'D');
    await writeFile(join(managedDir, 'junk'), 'J');
    await mkdir(join(managedDir, 'junkdir'));
    // An outside symlink in the purged dir is removed, never followed.
    const outside = join(dir, 'outside');
    await writeFile(outside, 'untouched');
    await symlink(outside, join(managedDir, 'link-out'));
    const mine = await makeFile(join(managedDir, 'mine'), { state: 'exists', content: 'M' });
    const deep = await makeFile(join(managedDir, 'nested', 'deep'), { state: 'exists' });
    try {
      await runCase(fileResource, { name: `${managedDir}/`, params: { state: 'exists', purge: true, recurse: true }, expect: 'diverged' });
      expect(await tree(managedDir)).toEqual(['mine: M', 'nested/', 'nested/deep: D']);
      expect(await readFile(outside, 'utf8')).toBe('untouched');
    } finally {
      await mine.close();
      await deep.close();
    }
  });
});
