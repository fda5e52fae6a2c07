import { chmod, chown, mkdir, stat, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createTestContext, runCase } from '@converge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileResource } from '../src/index.js';
import { makeFile, refusal, tempDir } from './helpers.js';
import type { FileParams } from '../src/index.js';
import type { FileInstance } from '../src/file-instance.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

const idOf = (database: string, name: string): number => Number(execFileSync('getent', [database, name], { encoding: 'utf8' }).split(':')[2]);
const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o7777;

describe('mode', () => {
  it.each([
    ['octal string', '0640', 0o640],
    ['octal string without leading zero', '4750', 0o4750],
    ['0o string (as 0o640 unquoted)', '0o640', 0o640],
    ['symbolic', 'u=rw,g=r,o=', 0o640],
    ['YAML integer (read as octal digits, as mgmt does)', 644, 0o644],
    ['YAML integer below 512', 400, 0o400],
  ] as const)('sets a %s mode', async (_label, mode, bits) => {
    const path = join(dir, 'f');
    await writeFile(path, 'x');
    await chmod(path, 0o777);
    await runCase(fileResource, { name: path, params: { mode }, expect: 'diverged' });
    expect(await modeOf(path)).toBe(bits);
  });

  it('symbolic clauses leave the classes they do not name alone', async () => {
    const path = join(dir, 'partial');
    await writeFile(path, 'x');
    await chmod(path, 0o751);
    await runCase(fileResource, { name: path, params: { mode: 'g=rw' }, expect: 'diverged' });
    expect(await modeOf(path)).toBe(0o761);
  });

  it('gives a new file exactly its mode, whatever the umask', async () => {
    const path = join(dir, 'secret');
    const previous = process.umask(0);
    try {
      await runCase(fileResource, { name: path, params: { state: 'exists', content: 's3cret', mode: '0600' }, expect: 'diverged' });
    } finally {
      process.umask(previous);
    }
    expect(await modeOf(path)).toBe(0o600);
  });

  it('sets a directory mode, including on creation', async () => {
    await runCase(fileResource, { name: `${dir}/d/`, params: { state: 'exists', mode: '0710' }, expect: 'diverged' });
    expect(await modeOf(join(dir, 'd'))).toBe(0o710);
  });
});

describe('what a change logs', () => {
  it('says nothing of creating a file whose folder is missing: only the error (QA: "creating" was logged first)', async () => {
    const path = join(dir, 'missing', 'deeper', 'f');
    const live = await makeFile(path, { state: 'exists', content: 'x\n' });
    await expect(live.checkApply(true)).rejects.toThrow(`its folder ${join(dir, 'missing', 'deeper')} does not exist`);
    expect(live.harness.logs().map((line) => line.message)).toEqual([]);
    await live.close();
  });

  it("marks a missing folder as missing (a resource before it may make it: a dry run then says would change), not a source that is not there, nor a file in the folder's place", async () => {
    expect(await refusal(join(dir, 'missing', 'f'), { state: 'exists', content: 'x' }, false)).toMatchObject({ missing: true });
    expect(await refusal(join(dir, 'missing', 'f'), { state: 'exists', content: 'x' }, true)).toMatchObject({ missing: true });
    expect(await refusal(join(dir, 'copy'), { state: 'exists', source: join(dir, 'no-source') }, true)).toMatchObject({ missing: false });
    await writeFile(join(dir, 'plain'), 'x');
    expect(await refusal(join(dir, 'plain', 'f'), { state: 'exists', content: 'x' }, true)).toMatchObject({ missing: false });
  });

  it.each([
    ['directory', (folder: string) => `${folder}/d/`, {}],
    ['symlink', (folder: string) => join(folder, 'l'), { symlink: true, source: '/tmp' }],
  ] as const)('says nothing of making a %s whose folder is missing, and a dry run refuses it too (QA: "mkdir"/"symlink" logged, the dry run would change)', async (_kind, pathIn, params) => {
    const folder = join(dir, 'missing', 'deeper');
    const live = await makeFile(pathIn(folder), { state: 'exists', ...params });
    await expect(live.checkApply(false)).rejects.toThrow(`its folder ${folder} does not exist`);
    await expect(live.checkApply(true)).rejects.toThrow(`its folder ${folder} does not exist`);
    expect(live.harness.logs().map((line) => line.message)).toEqual([]);
    await live.close();
  });

  it('tells the mode and owner a rewrite changes besides the content, and what a chmod or chown changed from (QA: `writing` alone)', async () => {
    const daemon = idOf('passwd', 'daemon');
    const nobody = idOf('passwd', 'nobody');
    const path = join(dir, 'a.conf');
    await writeFile(path, 'wrong\n');
    await chmod(path, 0o777);
    await chown(path, nobody, 0);
    const rewrite = await runCase(fileResource, { name: path, params: { state: 'exists', content: 'right\n', mode: '0640', owner: 'daemon' }, expect: 'diverged' });
    expect(rewrite.logs.map((line) => line.message)).toEqual([`writing ${path} (mode 0777 -> 0640, owner ${nobody}:0 -> ${daemon}:0)`]);

    await chmod(path, 0o600);
    await chown(path, nobody, 0);
    const attributes = await runCase(fileResource, { name: path, params: { state: 'exists', content: 'right\n', mode: '0640', owner: 'daemon' }, expect: 'diverged' });
    expect(attributes.logs.map((line) => line.message)).toEqual([`chown ${daemon}:0 ${path} (was ${nobody}:0)`, `chmod 0640 ${path} (was 0600)`]);
  });
});

describe('owner and group', () => {
  it('chowns a file to nobody:nogroup by name, and the new inode of a rewrite keeps them', async () => {
    const path = join(dir, 'owned');
    await writeFile(path, 'x');
    const [uid, gid] = [idOf('passwd', 'nobody'), idOf('group', 'nogroup')];
    await runCase(fileResource, { name: path, params: { owner: 'nobody', group: 'nogroup' }, expect: 'diverged' });
    expect(await stat(path)).toMatchObject({ uid, gid });
    await runCase(fileResource, { name: path, params: { content: 'rewritten' }, expect: 'diverged' });
    expect(await stat(path)).toMatchObject({ uid, gid });
  });

  it('accepts numeric ids, as numbers or strings, on a directory', async () => {
    const path = join(dir, 'd');
    await mkdir(path);
    await runCase(fileResource, { name: `${path}/`, params: { owner: 65534, group: '65534' }, expect: 'diverged' });
    expect(await stat(path)).toMatchObject({ uid: 65534, gid: 65534 });
    await chown(path, 0, 0);
    await runCase(fileResource, { name: `${path}/`, params: { owner: '65534' }, expect: 'diverged' });
    expect(await stat(path)).toMatchObject({ uid: 65534, gid: 0 });
  });

  it('never reads a name starting with - as an option of getent, even one that skipped the load check (QA: -sfiles chowned the file to root)', async () => {
    const path = join(dir, 'g');
    await writeFile(path, 'x');
    await chown(path, 65534, 65534);
    const res = fileResource.create({ path, owner: '-sfiles' }) as FileInstance;
    const harness = createTestContext<FileParams, object>({ kind: 'file', name: path });
    res.init(harness.ctx);
    try {
      await expect(Promise.resolve(res.checkApply(true, new AbortController().signal))).rejects.toThrow(/no such user/);
    } finally {
      res.cleanup();
      await harness.dispose();
    }
    expect(await stat(path)).toMatchObject({ uid: 65534, gid: 65534 });
  });

  it('fails on an unknown user or group', async () => {
    const path = join(dir, 'f');
    await writeFile(path, 'x');
    for (const params of [{ owner: 'no-such-user-x' }, { group: 'no-such-group-x' }]) {
      const file = await makeFile(path, params);
      await expect(file.checkApply(true)).rejects.toThrow(/no such (user|group)/);
      await file.close();
    }
  });
});
