import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCase } from '@converge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileResource } from '../src/index.js';
import type { FileParams } from '../src/index.js';
import { tempNameFor } from '../src/temp-names.js';
import { leftoverTempFiles, makeFile, refusal, tempDir } from './helpers.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await tempDir()));
afterEach(() => remove());

describe('state and content', () => {
  it('creates a missing file with its content, then finds nothing to do', async () => {
    const path = join(dir, 'app.conf');
    await runCase(fileResource, {
      name: path,
      params: { state: 'exists', content: 'port = 8080\n' },
      expect: 'diverged',
      verify: async () => expect(await readFile(path, 'utf8')).toBe('port = 8080\n'),
    });
    await runCase(fileResource, { name: path, params: { state: 'exists', content: 'port = 8080\n' }, expect: 'converged' });
  });

  it("takes state '' (mgmt's unset) as no state: a missing file stays missing, an existing one gets its content", async () => {
    const path = join(dir, 'maybe');
    await runCase(fileResource, { name: path, params: { state: '', content: 'x\n' }, expect: 'converged' });
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
    await writeFile(path, 'old\n');
    await runCase(fileResource, {
      name: path,
      params: { state: '', content: 'x\n' },
      expect: 'diverged',
      verify: async () => expect(await readFile(path, 'utf8')).toBe('x\n'),
    });
  });

  it('rewrites drifted content and keeps the old mode and inode attributes', async () => {
    const path = join(dir, 'drift');
    await writeFile(path, 'old');
    await chmod(path, 0o640);
    await runCase(fileResource, {
      name: path,
      params: { content: 'new' },
      expect: 'diverged',
      verify: async () => {
        expect(await readFile(path, 'utf8')).toBe('new');
        expect((await stat(path)).mode & 0o7777).toBe(0o640);
      },
    });
  });

  it('creates an empty file for state exists without content, and leaves existing content alone', async () => {
    const path = join(dir, 'empty');
    await runCase(fileResource, { name: path, params: { state: 'exists' }, expect: 'diverged' });
    expect(await readFile(path, 'utf8')).toBe('');
    await writeFile(path, 'user data');
    await runCase(fileResource, { name: path, params: { state: 'exists' }, expect: 'converged' });
    expect(await readFile(path, 'utf8')).toBe('user data');
  });

  it('with state unset, neither creates a missing file nor removes an existing one', async () => {
    const path = join(dir, 'maybe');
    await runCase(fileResource, { name: path, params: { content: 'x' }, expect: 'converged' });
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
    await writeFile(path, 'y');
    await runCase(fileResource, { name: path, params: { content: 'x' }, expect: 'diverged' });
    expect(await readFile(path, 'utf8')).toBe('x');
  });

  it('removes a file for state absent', async () => {
    const path = join(dir, 'gone');
    await writeFile(path, 'x');
    await runCase(fileResource, { name: path, params: { state: 'absent' }, expect: 'diverged' });
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it('uses path over the name', async () => {
    const path = join(dir, 'real');
    await runCase(fileResource, { name: 'some label', params: { path, state: 'exists', content: 'a' }, expect: 'diverged' });
    expect(await readFile(path, 'utf8')).toBe('a');
  });

  it('copies a source file, with its mode when new, and follows later changes to it', async () => {
    const source = join(dir, 'source');
    const path = join(dir, 'copy');
    await writeFile(source, 'from source');
    await chmod(source, 0o600);
    await runCase(fileResource, { name: path, params: { state: 'exists', source }, expect: 'diverged' });
    expect(await readFile(path, 'utf8')).toBe('from source');
    expect((await stat(path)).mode & 0o7777).toBe(0o600);
    await writeFile(source, 'changed');
    await runCase(fileResource, { name: path, params: { state: 'exists', source }, expect: 'diverged' });
    expect(await readFile(path, 'utf8')).toBe('changed');
  });

  it("copies through a symlinked source with the mode of what it points to, not the link's 0777", async () => {
    // As with a certificate's live/privkey.pem, a link into an archive folder.
    const secret = join(dir, 'archive-key');
    await writeFile(secret, 'secret');
    await chmod(secret, 0o600);
    const link = join(dir, 'live-key');
    await symlink(secret, link);
    const path = join(dir, 'copy-of-key');
    await runCase(fileResource, { name: path, params: { state: 'exists', source: link }, expect: 'diverged' });
    expect(await readFile(path, 'utf8')).toBe('secret');
    expect((await stat(path)).mode & 0o7777).toBe(0o600);
  });

  it("a copy takes its source's permission bits, not those of the file it replaces, and a dry run does not show it", async () => {
    const source = join(dir, 'secret.src');
    const path = join(dir, 'secret.copy');
    await writeFile(source, 'public\n', { mode: 0o644 });
    await runCase(fileResource, { name: path, params: { state: 'exists', source }, expect: 'diverged' });
    await chmod(source, 0o600);
    await writeFile(source, 'hunter2\n');
    const dry = await makeFile(path, { state: 'exists', source });
    expect(await dry.checkApply(false)).toBe(false);
    const said = (await dry.res.describeChange(new AbortController().signal)) ?? '';
    expect(said).not.toContain('hunter2');
    expect(said).toContain('mode 0644 -> 0600');
    await dry.close();
    await runCase(fileResource, { name: path, params: { state: 'exists', source }, expect: 'diverged' });
    expect([(await stat(path)).mode & 0o777, await readFile(path, 'utf8')]).toEqual([0o600, 'hunter2\n']);
    // And keeps it so: a chmod is put back (the content is the same).
    await chmod(path, 0o644);
    await runCase(fileResource, { name: path, params: { state: 'exists', source }, expect: 'diverged' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('says that a source or fragment does not exist, naming it', async () => {
    const missing = join(dir, 'no-such-source');
    expect(await refusal(join(dir, 'out'), { state: 'exists', source: missing }, true)).toMatchObject({
      message: expect.stringContaining(`source ${missing} does not exist`),
    });
    expect(await refusal(join(dir, 'out'), { state: 'exists', fragments: [missing] }, true)).toMatchObject({
      message: expect.stringContaining(`fragment ${missing} does not exist`),
    });
  });

  it("leaves converge's own temp files in a fragments folder out: a write in progress there is no fragment (QA: a copy into the folder grew the joined file with them)", async () => {
    await mkdir(join(dir, 'parts'));
    await writeFile(join(dir, 'parts', '01'), 'one\n');
    await writeFile(tempNameFor(join(dir, 'parts', '02')), 'half written');
    await runCase(fileResource, { name: join(dir, 'out'), params: { state: 'exists', fragments: [`${join(dir, 'parts')}/`] }, expect: 'diverged' });
    expect(await readFile(join(dir, 'out'), 'utf8')).toBe('one\n');
  });

  it('says that a fragments folder does not exist, is a file, or holds a link to nothing, naming it (QA: a bare ENOENT from scandir)', async () => {
    const missing = `${join(dir, 'no-such-folder')}/`;
    expect(await refusal(join(dir, 'out'), { state: 'exists', fragments: [missing] }, true)).toMatchObject({
      message: expect.stringContaining(`fragments folder ${missing} does not exist`),
      hint: expect.stringContaining('manage it with a file resource'),
    });
    await writeFile(join(dir, 'plain'), 'x');
    expect(await refusal(join(dir, 'out'), { state: 'exists', fragments: [`${join(dir, 'plain')}/`] }, true)).toMatchObject({
      message: expect.stringContaining('is not a folder'),
      hint: 'write it without the trailing / to add that one file',
    });
    await mkdir(join(dir, 'parts'));
    await symlink('nowhere', join(dir, 'parts', 'dangling'));
    expect(await refusal(join(dir, 'out'), { state: 'exists', fragments: [`${join(dir, 'parts')}/`] }, true)).toMatchObject({
      message: expect.stringContaining(`fragment ${join(dir, 'parts', 'dangling')} does not exist (a symlink to nothing?)`),
    });
  });

  it('refuses a fragment that is the file itself through a symlink, and writes nothing (QA: the file grew at every write)', async () => {
    await mkdir(join(dir, 'parts'));
    await mkdir(join(dir, 'out'));
    await writeFile(join(dir, 'parts', 'a'), 'base\n');
    await writeFile(join(dir, 'out', 'joined'), 'x\n');
    await symlink('../out/joined', join(dir, 'parts', 'b'));
    expect(await refusal(join(dir, 'out', 'joined'), { state: 'exists', fragments: [`${join(dir, 'parts')}/`] }, true)).toMatchObject({
      message: expect.stringContaining(`fragment ${join(dir, 'parts', 'b')} is ${join(dir, 'out', 'joined')} itself (through a symlink)`),
    });
    expect(await readFile(join(dir, 'out', 'joined'), 'utf8')).toBe('x\n');
  });

  it('refuses a ring of joined files made through symlinks, and writes nothing (QA: both grew for ever)', async () => {
    for (const folder of ['fa', 'fb']) await mkdir(join(dir, folder));
    await writeFile(join(dir, 'fa', '01'), 'a\n');
    await writeFile(join(dir, 'fb', '01'), 'b\n');
    await writeFile(join(dir, 'outA'), 'A\n');
    await writeFile(join(dir, 'outB'), 'B\n');
    await symlink('../outB', join(dir, 'fa', '02'));
    await symlink('../outA', join(dir, 'fb', '02'));
    const outA = await makeFile(join(dir, 'outA'), { state: 'exists', fragments: [`${join(dir, 'fa')}/`] });
    const outB = await makeFile(join(dir, 'outB'), { state: 'exists', fragments: [`${join(dir, 'fb')}/`] });
    try {
      await expect(outA.checkApply(true)).rejects.toThrow(`fragment ${join(dir, 'fa', '02')} is ${join(dir, 'outB')}, whose fragment ${join(dir, 'fb', '02')} is this file (through symlinks)`);
      await expect(outB.checkApply(true)).rejects.toThrow(/is this file \(through symlinks\)/);
      expect(await readFile(join(dir, 'outA'), 'utf8')).toBe('A\n');
      expect(await readFile(join(dir, 'outB'), 'utf8')).toBe('B\n');
    } finally {
      await Promise.all([outA.close(), outB.close()]);
    }
    // A chain through a link, with no way back, is joined as ever.
    await unlink(join(dir, 'fb', '02'));
    await runCase(fileResource, { name: join(dir, 'outA'), params: { state: 'exists', fragments: [`${join(dir, 'fa')}/`] }, expect: 'diverged' });
    expect(await readFile(join(dir, 'outA'), 'utf8')).toBe('a\nB\n');
  });

  it('refuses a named pipe as source or fragment at once, without opening it (it would wait for a writer forever)', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const startedAt = performance.now();
    const bothInputs: Partial<FileParams>[] = [{ state: 'exists', source: fifo }, { state: 'exists', fragments: [fifo] }];
    for (const params of bothInputs) {
      const error = await refusal(join(dir, 'out'), params, true);
      expect(error).toMatchObject({ message: expect.stringContaining(`${fifo} is a named pipe, not a regular file`) });
    }
    // A link to it is looked through, and refused the same way.
    const link = join(dir, 'pipe-link');
    await symlink(fifo, link);
    expect(await refusal(join(dir, 'out'), { state: 'exists', source: link }, true)).toMatchObject({ message: expect.stringContaining('is a named pipe') });
    expect(performance.now() - startedAt).toBeLessThan(5000);
    await expect(stat(join(dir, 'out'))).rejects.toThrow(/ENOENT/);
  });

  it('concatenates fragments in order; a directory fragment adds its files sorted by name', async () => {
    const fragDir = join(dir, 'conf.d');
    await mkdir(fragDir);
    await mkdir(join(fragDir, 'subdir-is-skipped'));
    await writeFile(join(fragDir, '20-b'), 'B\n');
    await writeFile(join(fragDir, '10-a'), 'A\n');
    await writeFile(join(dir, 'head'), 'HEAD\n');
    const path = join(dir, 'joined');
    const params = { state: 'exists', fragments: [join(dir, 'head'), `${fragDir}/`] };
    await runCase(fileResource, { name: path, params, expect: 'diverged' });
    expect(await readFile(path, 'utf8')).toBe('HEAD\nA\nB\n');
    await writeFile(join(fragDir, '15-mid'), 'M\n');
    await runCase(fileResource, { name: path, params, expect: 'diverged' });
    expect(await readFile(path, 'utf8')).toBe('HEAD\nA\nM\nB\n');
  });

  it('fails with a hint when the parent directory is missing', async () => {
    const file = await makeFile(join(dir, 'no', 'such', 'f'), { state: 'exists', content: 'x' });
    try {
      // Named by the folder, not by the temp file the write failed on (a new name at every try).
      await expect(file.checkApply(true)).rejects.toMatchObject({
        code: 'ERR_RESOURCE_CHECK_APPLY',
        message: `its folder ${join(dir, 'no', 'such')} does not exist`,
        hint: expect.stringMatching(/parent/),
      });
    } finally {
      await file.close();
    }
  });

  it('names the path in an error only when the resource id does not (QA: `file[/a.conf]: /a.conf: source … does not exist`)', async () => {
    const path = join(dir, 'a.conf');
    const source = join(dir, 'nonexistent.conf');
    const byPath = await makeFile(path, { state: 'exists', source });
    const byName = await makeFile('appconf', { path, state: 'exists', source });
    try {
      await expect(byPath.checkApply(true)).rejects.toMatchObject({ resource: `file[${path}]`, message: `source ${source} does not exist` });
      await expect(byName.checkApply(true)).rejects.toMatchObject({ resource: 'file[appconf]', message: `${path}: source ${source} does not exist` });
    } finally {
      await Promise.all([byPath.close(), byName.close()]);
    }
  });

  it('says that a parent is not a directory when a file is in its place', async () => {
    const blocker = join(dir, 'plain');
    await writeFile(blocker, 'x');
    for (const path of [join(blocker, 'f'), join(blocker, 'deeper', 'f')]) {
      const which = path === join(blocker, 'f') ? 'its folder' : `a parent of its folder ${join(blocker, 'deeper')},`;
      expect(await refusal(path, { state: 'exists', content: 'x' }, true)).toMatchObject({
        message: `${which} ${blocker} is not a directory`,
        hint: `remove or rename what is at ${blocker} (manage it as a directory, with a path ending in /), or fix the path`,
      });
    }
  });

  it('names a fragment that is a directory written without its trailing /, and says to add it', async () => {
    const fragDir = join(dir, 'conf.d');
    await mkdir(fragDir);
    await writeFile(join(dir, 'head'), 'HEAD\n');
    const path = join(dir, 'joined');
    expect(await refusal(path, { state: 'exists', fragments: [join(dir, 'head'), fragDir] }, true)).toMatchObject({
      code: 'ERR_RESOURCE_CHECK_APPLY',
      message: `fragment ${fragDir} is a directory, not a file`,
      hint: `write it as ${fragDir}/ to add the files in it`,
    });
  });

  it('refuses a fragments directory holding a name that is not valid UTF-8 (the content would lack it), and says to rename it', async () => {
    const fragDir = join(dir, 'conf.d');
    await mkdir(fragDir);
    await writeFile(join(fragDir, '10-a'), 'A\n');
    writeFileSync(Buffer.concat([Buffer.from(`${fragDir}/20-caf`), Buffer.from([0xe9])]), 'B\n');
    const path = join(dir, 'joined');
    expect(await refusal(path, { state: 'exists', fragments: [`${fragDir}/`] }, true)).toMatchObject({
      message: `fragment ${fragDir}/20-caf\uFFFD has a name that is not valid UTF-8, which converge cannot name (shown with \uFFFD for the bytes it cannot read)`,
      hint: 'rename it',
    });
  });

  it('refuses to replace a directory by a file without force (and, when it is not empty, recurse), and does it with both', async () => {
    const path = join(dir, 'was-dir');
    await mkdir(path);
    await writeFile(join(path, 'inner'), 'x');
    const refused = await makeFile(path, { state: 'exists', content: 'file now' });
    await expect(refused.checkApply(true)).rejects.toThrow(/is a directory, but a file is wanted/);
    await refused.close();
    const forceOnly = await makeFile(path, { state: 'exists', content: 'file now', force: true });
    await expect(forceOnly.checkApply(true)).rejects.toThrow(/is a directory that is not empty/);
    await forceOnly.close();
    expect((await stat(path)).isDirectory()).toBe(true);
    const params = { state: 'exists', content: 'file now', force: true, recurse: true };
    await runCase(fileResource, { name: path, params, expect: 'diverged' });
    expect(await readFile(path, 'utf8')).toBe('file now');
  });
});

describe('atomic writes', () => {
  it('leaves no temp file behind and does not change the inode of an unchanged file', async () => {
    const path = join(dir, 'atomic');
    await runCase(fileResource, { name: path, params: { state: 'exists', content: 'v1' }, expect: 'diverged' });
    const inode = (await stat(path)).ino;
    await runCase(fileResource, { name: path, params: { state: 'exists', content: 'v1' }, expect: 'converged' });
    expect((await stat(path)).ino).toBe(inode);
    expect(await leftoverTempFiles(dir)).toEqual([]);
  });

  it('removes its temp file when the write fails', async () => {
    const path = join(dir, 'fails');
    const file = await makeFile(path, { state: 'exists', content: 'x', owner: 'no-such-user-here' });
    await expect(file.checkApply(true)).rejects.toThrow(/no such user/);
    await file.close();
    expect(await leftoverTempFiles(dir)).toEqual([]);
  });

  it('never lets a reader see partial content', async () => {
    const path = join(dir, 'big');
    const versions = ['a', 'b', 'c', 'd'].map((letter) => letter.repeat(4 * 1024 * 1024));
    await writeFile(path, versions[0] ?? '');
    let reading = true;
    const seen = new Set<string>();
    const reader = (async () => {
      while (reading) {
        const text = await readFile(path, 'utf8');
        seen.add(text.length === 4 * 1024 * 1024 && new Set(text).size === 1 ? 'whole' : `torn:${text.length}`);
      }
    })();
    for (const content of [...versions.slice(1), ...versions]) {
      const file = await makeFile(path, { content });
      await file.checkApply(true);
      await file.close();
    }
    reading = false;
    await reader;
    expect([...seen]).toEqual(['whole']);
    expect(await leftoverTempFiles(dir)).toEqual([]);
  });
});

describe('temp files left by a crash', () => {
  it('are removed once the file is written again; other dot-files stay', async () => {
    const path = join(dir, 'app.conf');
    // What a kill -9 between creating the temp file and renaming it leaves.
    const leftover = join(dir, '.app.conf.converge-0123456789ab.tmp');
    const unrelated = join(dir, '.app.conf.swp');
    await writeFile(leftover, 'half of the new');
    await writeFile(unrelated, 'an editor');
    await runCase(fileResource, { name: path, params: { state: 'exists', content: 'whole\n' }, expect: 'diverged' });
    expect(await readFile(path, 'utf8')).toBe('whole\n');
    expect(await leftoverTempFiles(dir)).toEqual([]);
    expect(await readFile(unrelated, 'utf8')).toBe('an editor');
  });

  it('are removed per target from one listing of the directory, while other targets keep theirs until written', async () => {
    const leftovers = ['.a.conf.converge-000000000001.tmp', '.b.conf.converge-000000000002.tmp', '.c.conf.converge-000000000003.tmp'];
    for (const leftover of leftovers) await writeFile(join(dir, leftover), 'half');
    await runCase(fileResource, { name: join(dir, 'a.conf'), params: { state: 'exists', content: 'a\n' }, expect: 'diverged' });
    expect((await leftoverTempFiles(dir)).sort()).toEqual(['.b.conf.converge-000000000002.tmp', '.c.conf.converge-000000000003.tmp']);
    await runCase(fileResource, { name: join(dir, 'b.conf'), params: { state: 'exists', content: 'b\n' }, expect: 'diverged' });
    expect(await leftoverTempFiles(dir)).toEqual(['.c.conf.converge-000000000003.tmp']);
  });
});

describe('names up to the longest a file system takes', () => {
  it('writes a file and a recursive copy whose names are 229 to 255 bytes, and sweeps such a name\'s leftover temp file (QA: ENAMETOOLONG on the temp file)', async () => {
    const longest = 'a'.repeat(255);
    const multibyte = 'é'.repeat(120); // 240 bytes
    for (const name of [longest, 'b'.repeat(229), multibyte]) {
      await runCase(fileResource, { name: join(dir, name), params: { state: 'exists', content: `${name.length}\n` }, expect: 'diverged' });
      expect(await readFile(join(dir, name), 'utf8')).toBe(`${name.length}\n`);
    }
    // A crash's leftover for the longest name, as tempNameFor names it now, in a folder this process has not written to (it lists one once).
    const crashed = join(dir, 'crashed');
    await mkdir(crashed);
    await writeFile(tempNameFor(join(crashed, longest)), 'half');
    expect(await leftoverTempFiles(crashed)).toHaveLength(1);
    await runCase(fileResource, { name: join(crashed, longest), params: { state: 'exists', content: 'again\n' }, expect: 'diverged' });
    expect(await leftoverTempFiles(crashed)).toEqual([]);

    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src', longest), 'copied\n');
    await runCase(fileResource, { name: `${join(dir, 'dst')}/`, params: { state: 'exists', source: `${join(dir, 'src')}/`, recurse: true, purge: true }, expect: 'diverged' });
    expect(await readFile(join(dir, 'dst', longest), 'utf8')).toBe('copied\n');
  });
});

describe('temp files left by a crash, for a file already in sync', () => {
  it('are removed on the first applying check, not in noop, and the file is left alone', async () => {
    const path = join(dir, 'in-sync.conf');
    await writeFile(path, 'same\n');
    const inode = (await stat(path)).ino;
    const leftover = '.in-sync.conf.converge-00000000000a.tmp';
    await writeFile(join(dir, leftover), 'half');
    const file = await makeFile(path, { state: 'exists', content: 'same\n' });
    expect(await file.checkApply(false)).toBe(true);
    expect(await leftoverTempFiles(dir)).toEqual([leftover]);
    expect(await file.checkApply(true)).toBe(true);
    await file.close();
    expect(await leftoverTempFiles(dir)).toEqual([]);
    expect((await stat(path)).ino).toBe(inode);
  });
});

describe('comparing content', () => {
  it('rewrites content of the same size that differs, and content of another size', async () => {
    const path = join(dir, 'same-size');
    await writeFile(path, 'port = 8080\n');
    await runCase(fileResource, {
      name: path,
      params: { content: 'port = 9090\n' },
      expect: 'diverged',
      verify: async () => expect(await readFile(path, 'utf8')).toBe('port = 9090\n'),
    });
    await runCase(fileResource, {
      name: path,
      params: { content: 'port = 80\n' },
      expect: 'diverged',
      verify: async () => expect(await readFile(path, 'utf8')).toBe('port = 80\n'),
    });
    await runCase(fileResource, { name: path, params: { content: 'port = 80\n' }, expect: 'converged' });
  });

  it('compares files larger than the synchronous read limit', async () => {
    const path = join(dir, 'large');
    const large = 'x'.repeat(3 * 1024 * 1024);
    await writeFile(path, large);
    await runCase(fileResource, { name: path, params: { content: large }, expect: 'converged' });
    const changed = `${'x'.repeat(3 * 1024 * 1024 - 1)}y`;
    await runCase(fileResource, {
      name: path,
      params: { content: changed },
      expect: 'diverged',
      verify: async () => expect(await readFile(path, 'utf8')).toBe(changed),
    });
  });
});
