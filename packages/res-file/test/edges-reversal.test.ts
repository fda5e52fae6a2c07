import { chmod, mkdir, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AutoEdgeCandidate } from '@converge/engine-api';
import { runCase } from '@converge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import plugin, { fileResource } from '../src/index.js';
import type { FileParams } from '../src/index.js';
import { FileInstance } from '../src/file-instance.js';
import { tempDir } from './helpers.js';

/**
 * Drives an autoedge search: `managed` says which file keys the graph holds.
 * The batch that asks for readers of the folders the path is in (kind
 * file-input-folder, matched by no file) is kept apart in `readers`.
 */
function searchEdges(params: FileParams, managed: ReadonlySet<string>): { asked: string[][]; matched: string[]; readers: string[] } {
  const search = fileResource.edgeable?.autoEdges(params, params.path);
  if (!search) throw new Error('file is edgeable');
  const asked: string[][] = [];
  const matched: string[] = [];
  const readers: string[] = [];
  let step = search.next([]);
  while (!step.done) {
    const batch: readonly AutoEdgeCandidate[] = step.value;
    const files = batch.filter((candidate) => candidate.kind === 'file');
    if (files.length > 0) asked.push(files.map((candidate) => candidate.key));
    for (const candidate of batch) if (candidate.kind !== 'file') readers.push(`${candidate.key}${candidate.reversed ? ' (after)' : ''}`);
    const answers = batch.map((candidate) => candidate.kind === 'file' && managed.has(candidate.key));
    batch.forEach((candidate, i) => answers[i] && matched.push(candidate.key));
    step = search.next(answers);
  }
  return { asked, matched, readers };
}

describe('plugin and edges', () => {
  it('default-exports the plugin with the file kind', () => {
    expect(plugin).toMatchObject({ $$type: '@converge/plugin', name: '@converge/res-file' });
    expect(plugin.resources.map((resource) => resource.kind)).toEqual(['file']);
    expect(fileResource.nameParam).toBe('path');
  });

  it('claims its normalized path; directories keep the trailing slash', () => {
    expect(fileResource.edgeable?.uids({ path: '/etc//app/./x' }, 'n')).toEqual([{ kind: 'file', key: '/etc/app/x' }]);
    expect(fileResource.edgeable?.uids({ path: '/etc/app' + '/' }, 'n')).toEqual([{ kind: 'file', key: '/etc/app/' }]);
  });

  it('has one identity per place on disk, whatever the spelling, so two resources for one path are refused', () => {
    const identity = (path: string) => fileResource.identity?.({ path });
    expect(identity('/a/b')).toBe('/a/b');
    expect(identity('/a//b/')).toBe('/a/b');
    expect(identity('/a/./b')).toBe('/a/b');
    expect(identity('/a/c')).not.toBe(identity('/a/b'));
  });

  it('stops at the nearest managed ancestor directory', () => {
    const { asked, matched } = searchEdges({ path: '/etc/app/conf.d/x.conf' }, new Set(['/etc/app/', '/etc/']));
    expect(asked).toEqual([['/etc/app/conf.d/', '/etc/app/conf.d'], ['/etc/app/', '/etc/app']]);
    expect(matched).toEqual(['/etc/app/']);
  });

  it('stops at a managed symlink the path goes through (symlink: true), which is made first', () => {
    const { asked, matched } = searchEdges({ path: '/srv/current/conf/x' }, new Set(['/srv/current', '/srv/']));
    expect(asked).toEqual([['/srv/current/conf/', '/srv/current/conf'], ['/srv/current/', '/srv/current']]);
    expect(matched).toEqual(['/srv/current']);
  });

  it('walks to / when no ancestor is managed', () => {
    expect(searchEdges({ path: '/a/b' }, new Set()).asked).toEqual([['/a/', '/a'], ['/']]);
  });

  it('asks for fragments and the source first, then ancestors', () => {
    const fromFragments = searchEdges({ path: '/etc/x', fragments: ['/srv/a', '/srv/d/'] }, new Set(['/srv/d/']));
    expect(fromFragments.asked).toEqual([['/srv/a', '/srv/d/'], ['/etc/', '/etc'], ['/']]);
    expect(fromFragments.matched).toEqual(['/srv/d/']);
    expect(searchEdges({ path: '/etc/x', source: '/srv/x' }, new Set()).asked[0]).toEqual(['/srv/x']);
    expect(searchEdges({ path: '/etc/link', symlink: true, source: '../opt/t' }, new Set()).asked[0]).toEqual(['/opt/t', '/opt/t/']);
  });

  it('runs before whatever reads a folder it is in: a fragments directory, a copied source directory', () => {
    expect(searchEdges({ path: '/etc/app/conf.d/10-a' }, new Set()).readers).toEqual([
      '/etc/app/conf.d/ (after)',
      '/etc/app/ (after)',
      '/etc/ (after)',
      '/ (after)',
    ]);
    const uids = (params: FileParams) => fileResource.edgeable?.uids(params, params.path);
    expect(uids({ path: '/etc/app.conf', fragments: ['/etc/app/conf.d/', '/etc/app/base'] })).toEqual([
      { kind: 'file', key: '/etc/app.conf' },
      { kind: 'file-input-folder', key: '/etc/app/conf.d/' },
    ]);
    expect(uids({ path: '/srv/out/', source: '/srv/in', recurse: true })).toEqual([
      { kind: 'file', key: '/srv/out/' },
      { kind: 'file-input-folder', key: '/srv/in/' },
    ]);
    // A single file copied, or a link to a folder, reads no folder's files.
    expect(uids({ path: '/srv/one', source: '/srv/in/one' })).toHaveLength(1);
    expect(uids({ path: '/srv/link', symlink: true, source: '/srv/in/' })).toHaveLength(1);
  });
});

describe('reversal', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(() => remove());

  const reversalOf = async (params: FileParams): Promise<FileParams | undefined> =>
    fileResource.reversible?.reversal(new FileInstance(params), params);

  it('restores absence when nothing was there', async () => {
    const path = join(dir, 'new');
    const reversal = await reversalOf({ path, state: 'exists', content: 'x' });
    expect(reversal).toEqual({ path, state: 'absent' });
  });

  it('restores the absence of a folder it fills by a recursive copy with recurse (a plain new folder only when empty)', async () => {
    const copy = join(dir, 'copy');
    expect(await reversalOf({ path: `${copy}/`, state: 'exists', source: `${dir}/src/`, recurse: true })).toEqual({ path: `${copy}/`, state: 'absent', recurse: true });
    expect(await reversalOf({ path: `${copy}/`, state: 'exists' })).toEqual({ path: `${copy}/`, state: 'absent' });
    // Put back: the copied tree goes, as the resource brought it.
    await mkdir(join(copy, 'sub'), { recursive: true });
    await writeFile(join(copy, 'sub', 'f'), 'copied');
    await runCase(fileResource, { name: `${copy}/`, params: { state: 'absent', recurse: true }, expect: 'diverged' });
    await expect(stat(copy)).rejects.toThrow(/ENOENT/);
  });

  it('records content and mode before the first apply, and applying them restores the file', async () => {
    const path = join(dir, 'conf');
    await writeFile(path, 'original\n');
    await chmod(path, 0o600);
    const params: FileParams = { path, state: 'exists', content: 'managed\n', mode: '0644' };
    const reversal = await reversalOf(params);
    expect(reversal).toEqual({ path, state: 'exists', content: 'original\n', mode: '0600' });
    await runCase(fileResource, { name: path, params: { ...params }, expect: 'diverged' });
    await runCase(fileResource, {
      name: path,
      params: { ...reversal },
      expect: 'diverged',
      verify: async () => {
        const { readFile, stat } = await import('node:fs/promises');
        expect(await readFile(path, 'utf8')).toBe('original\n');
        expect((await stat(path)).mode & 0o7777).toBe(0o600);
      },
    });
  });

  it('records the content, mode, owner and group of a file that state absent will remove', async () => {
    const path = join(dir, 'doomed');
    await writeFile(path, 'keep me');
    await chmod(path, 0o600);
    const { uid, gid } = await stat(path);
    expect(await reversalOf({ path, state: 'absent' })).toEqual({
      path,
      state: 'exists',
      content: 'keep me',
      mode: '0600',
      owner: String(uid),
      group: String(gid),
    });
  });

  it('records a prior symlink and a prior directory', async () => {
    const link = join(dir, 'link');
    await symlink('/somewhere', link);
    expect(await reversalOf({ path: link, state: 'exists', content: 'x', force: true })).toEqual({
      path: link,
      state: 'exists',
      symlink: true,
      source: '/somewhere',
      force: true,
    });
    await mkdir(join(dir, 'd'));
    expect(await reversalOf({ path: `${dir}/d/`, state: 'exists', owner: 'nobody' })).toEqual({
      path: `${dir}/d/`,
      state: 'exists',
      owner: '0',
    });
  });

  it('refuses to record bytes that are not UTF-8', async () => {
    const path = join(dir, 'binary');
    await writeFile(path, Buffer.from([0xff, 0xfe, 0x00]));
    await expect(reversalOf({ path, state: 'exists', content: 'x' })).rejects.toThrow(/not UTF-8/);
  });

  it('refuses to record a file too large to keep in the state dir, rather than read it whole', async () => {
    const path = join(dir, 'big.log');
    await writeFile(path, '');
    await truncate(path, (16 << 20) + 1);
    await expect(reversalOf({ path, state: 'exists', content: 'x' })).rejects.toThrow(`${path} is ${(16 << 20) + 1} bytes; at most ${16 << 20} can be recorded for reversal`);
  });
});
